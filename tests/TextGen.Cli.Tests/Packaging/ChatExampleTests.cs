using System.Diagnostics;

namespace TextGen.Tests.Packaging;

/// <summary>examples/ChatConsole published as a native AOT binary (TextGen.Runtime is AOT-safe), then chatting.</summary>
public sealed class ChatExampleTests(SharedModel model) : IClassFixture<SharedModel>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private static bool HasCToolchain() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, "cc")) || File.Exists(Path.Combine(folder, "clang")));

    [Fact]
    public async Task PublishesAsANativeBinaryThatChatsWithNoDotnetInstalled()
    {
        if (!OperatingSystem.IsLinux() || !HasCToolchain())
        {
            return; // native AOT links with the platform's C toolchain; without one, the managed build is the example
        }
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repo.FullName, "TextGen.sln"))) repo = repo.Parent!;
        var output = Path.Combine(_dir.Path, "aot");
        var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(repo.FullName, "examples", "ChatConsole"), "-c", "Release", "-o", output, "--nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = await publish.StandardOutput.ReadToEndAsync() + await publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        Assert.True(publish.ExitCode == 0, log);
        Assert.DoesNotContain("warning", log, StringComparison.OrdinalIgnoreCase);

        var chat = new ProcessStartInfo(Path.Combine(output, "ChatConsole"), [model.Path]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        chat.Environment["DOTNET_ROOT"] = "/nonexistent"; // a native binary: no .NET runtime is looked for
        using var process = Process.Start(chat)!;
        await process.StandardInput.WriteAsync("Call me Ishmael.\n\n");
        process.StandardInput.Close();
        var transcript = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, transcript + await process.StandardError.ReadToEndAsync());
        Assert.Contains("Chatting with", transcript);
        Assert.Contains("bot> ", transcript); // the reply is sampled without a seed: its text is the model's business
    }

    public void Dispose() => _dir.Dispose();
}

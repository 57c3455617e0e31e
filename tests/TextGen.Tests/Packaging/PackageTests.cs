using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TextGen.Tests.Packaging;

/// <summary>
/// The packages `./test.sh` packs into artifacts/packages, consumed as a user would: a fresh console project that adds
/// TextGen.Runtime and generates from a model the suite trained (with no libtorch in its output), and the `textgen`
/// tool installed into a folder. Each restores into a folder of its own, so a package of an older build cached under
/// the same version can never stand in for this one.
/// </summary>
public sealed class PackageTests(SharedModel model) : IClassFixture<SharedModel>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private static string PackagesFolder()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "TextGen.sln"))) repo = repo.Parent;
        var folder = Path.Combine(repo?.FullName ?? ".", "artifacts", "packages");
        Assert.True(File.Exists(Path.Combine(folder, "TextGen.Runtime.0.1.0.nupkg")),
            $"no packages in {folder}: ./test.sh packs them first (or run `dotnet pack TextGen.sln -c Release`)");
        return folder;
    }

    /// <summary>The global packages folder, as a read-only feed of the dependencies the solution's restore fetched.</summary>
    private static string GlobalPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private async Task<string> Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_dir.Path, "nuget-cache");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("LD_LIBRARY_PATH");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }

    [Fact]
    public async Task AFreshConsoleProjectGeneratesFromTheRuntimePackageWithoutLibtorch()
    {
        var packages = PackagesFolder();
        var project = Directory.CreateDirectory(Path.Combine(_dir.Path, "Bot")).FullName;
        await Dotnet(project, "new", "console", "--framework", "net10.0");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <configuration><packageSources>
              <add key="textgen" value="{packages}" />
              <add key="restored" value="{GlobalPackages()}" />
            </packageSources></configuration>
            """);
        await Dotnet(project, "add", "package", "TextGen.Runtime", "--version", "0.1.0");
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using TextGen.Generation;
            var generator = TextGenerator.Load(args[0]);
            Console.Write(generator.Generate("Call me", new SamplingOptions { Length = 50, Seed = 7 }));
            """);
        await Dotnet(project, "build", "-c", "Release", "-o", "out");

        var output = await Dotnet(project, Path.Combine(project, "out", "Bot.dll"), model.Path);
        Assert.Equal(model.Generator.Generate("Call me", new TextGen.Generation.SamplingOptions { Length = 50, Seed = 7 }), output);
        var files = Directory.GetFiles(Path.Combine(project, "out"), "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(files, f => Regex.IsMatch(Path.GetFileName(f), "torch|c10", RegexOptions.IgnoreCase));
        Assert.True(files.Sum(f => new FileInfo(f).Length) < 20 << 20, "a generation-only program's output should be a few MB");
    }

    [Fact]
    public async Task TheToolInstallsIntoAFolderAndRuns()
    {
        var packages = PackagesFolder();
        var tools = Path.Combine(_dir.Path, "tools");
        await Dotnet(_dir.Path, "tool", "install", "textgen", "--version", "0.1.0", "--tool-path", tools, "--add-source", packages);
        var textgen = Path.Combine(tools, "textgen");
        var start = new ProcessStartInfo(textgen, ["sample", "-m", model.Path, "--length", "30", "--seed", "1"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var sample = Process.Start(start)!;
        var text = await sample.StandardOutput.ReadToEndAsync();
        await sample.WaitForExitAsync();
        Assert.True(sample.ExitCode == 0, await sample.StandardError.ReadToEndAsync());
        Assert.Equal(model.Generator.Generate("", new TextGen.Generation.SamplingOptions { Length = 30, Seed = 1 }), text.TrimEnd('\n'));

        using var usage = Process.Start(new ProcessStartInfo(textgen, ["--help"]) { RedirectStandardOutput = true })!;
        Assert.Contains("sample", await usage.StandardOutput.ReadToEndAsync());
        await usage.WaitForExitAsync();
        Assert.Equal(0, usage.ExitCode);
    }

    public void Dispose() => _dir.Dispose();
}

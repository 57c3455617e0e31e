using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TextGen.Tests.Cli;

/// <summary>
/// `textgen` from a copy of its folder without libtorch, run by the system's `dotnet` (on Debian 12 its C++ runtime is
/// too old for libtorch anyway): generation works with no set-up, and the commands that need libtorch say so in one line.
/// </summary>
public sealed class WithoutLibtorchTests(SharedModel model) : IClassFixture<SharedModel>, IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>The CLI's build output with every libtorch file left out (and the other platforms' native folders).</summary>
    private string CliWithoutLibtorch()
    {
        var source = AppContext.BaseDirectory;
        var target = Path.Combine(_dir.Path, "cli");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var native = relative.StartsWith("runtimes", StringComparison.Ordinal);
            if (native && (!relative.Contains("linux-x64", StringComparison.Ordinal) || Regex.IsMatch(Path.GetFileName(file), "torch|c10|gomp|backend|shm", RegexOptions.IgnoreCase)))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(target, "*.so", SearchOption.AllDirectories), f => Regex.IsMatch(f, "torch", RegexOptions.IgnoreCase));
        return Path.Combine(target, "textgen.dll");
    }

    private static Process Start(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("LD_LIBRARY_PATH");
        return Process.Start(start)!;
    }

    private static async Task<(int Code, string Output, string Error)> Run(string dll, params string[] args)
    {
        using var process = Start(dll, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task SampleEmbedAndServeWorkAndTrainingSaysWhatIsMissing()
    {
        var dll = CliWithoutLibtorch();

        var sample = await Run(dll, "sample", "-m", model.Path, "--length", "60", "--seed", "1");
        Assert.True(sample.Code == 0, sample.Error);
        Assert.Equal(model.Generator.Generate("", new TextGen.Generation.SamplingOptions { Length = 60, Seed = 1 }), sample.Output.TrimEnd('\n'));

        var embed = await Run(dll, "embed", "-m", model.Path, "--nearest", "e", "-k", "2");
        Assert.True(embed.Code == 0, embed.Error);

        var train = await Run(dll, "train", _dir.Write("c.txt", Corpora.Prose(3)), "-o", _dir.File("m.tgm"));
        Assert.Equal(1, train.Code);
        Assert.Single(train.Error.Trim().Split('\n'));
        Assert.StartsWith("textgen: ", train.Error);
        Assert.DoesNotContain("   at ", train.Error);
        Assert.Contains("this textgen has no libtorch", train.Error);

        using var serve = Start(dll, "serve", "-m", model.Path, "--port", "0");
        try
        {
            var line = await serve.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var url = Regex.Match(line ?? "", @"http://[^ ]+").Value;
            Assert.True(url.Length > 0, $"no URL in '{line}'");
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 20, seed = 1 });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(20, body["usage"]!["completion_tokens"]!.GetValue<int>());
        }
        finally
        {
            serve.Kill();
            await serve.WaitForExitAsync();
        }
    }

    public void Dispose() => _dir.Dispose();
}

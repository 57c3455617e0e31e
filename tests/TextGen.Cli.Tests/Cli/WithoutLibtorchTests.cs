using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TextGen.Tests.Cli;

/// <summary>
/// `textgen` from a copy of its folder without libtorch, as the tool package lays it out, run by the system's `dotnet`:
/// generation works with no set-up; training finds libtorch where a restore put it (on Debian 12, after restarting
/// itself under the private C++ runtime), and where there is none and no source has it, says so in one line.
/// </summary>
public sealed class WithoutLibtorchTests(SharedModel model) : IClassFixture<SharedModel>, IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>libtorch's own files: TorchSharp's small shim (LibTorchSharp) stays, as in the tool package.</summary>
    private static bool FromLibtorch(string file) =>
        !Path.GetFileName(file).Contains("LibTorchSharp", StringComparison.Ordinal) && Regex.IsMatch(Path.GetFileName(file), "torch|c10|gomp|backend|shm", RegexOptions.IgnoreCase);

    /// <summary>The CLI's build output with every libtorch file left out (and the other platforms' native folders).</summary>
    private string CliWithoutLibtorch()
    {
        var source = AppContext.BaseDirectory;
        var target = Path.Combine(_dir.Path, "cli");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var native = relative.StartsWith("runtimes", StringComparison.Ordinal);
            if (native && (!relative.Contains("linux-x64", StringComparison.Ordinal) || FromLibtorch(file)))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(target, "*.so", SearchOption.AllDirectories), FromLibtorch);
        return Path.Combine(target, "textgen.dll");
    }

    private static Process Start(string dll, string[] args, IDictionary<string, string?>? environment = null, string? directory = null)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory ?? "" };
        start.Environment.Remove("LD_LIBRARY_PATH");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    private static Task<(int Code, string Output, string Error)> Run(string dll, params string[] args) => Run(dll, args, null);

    private static async Task<(int Code, string Output, string Error)> Run(string dll, string[] args, IDictionary<string, string?>? environment, string? directory = null)
    {
        using var process = Start(dll, args, environment, directory);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    private Dictionary<string, string?> ChildCache() => new() { ["TEXTGEN_CACHE"] = Tests.ChildCache.Create(_dir.Path), ["TEXTGEN_LIBTORCH_SOURCE"] = null };

    [Fact]
    public async Task TrainingFindsLibtorchWhereARestorePutIt()
    {
        var dll = CliWithoutLibtorch();
        var train = await Run(dll, ["train", _dir.Write("c.txt", Corpora.Prose(3)), "--epochs", "1", "--hidden", "16", "-o", _dir.File("m.tgm")], ChildCache());
        Assert.True(train.Code == 0, train.Error);
        Assert.True(File.Exists(_dir.File("m.tgm")));
    }

    [Fact]
    public async Task WithNoLibtorchAnywhereTrainingSaysWhatToDoInOneLine()
    {
        var dll = CliWithoutLibtorch();
        var project = Directory.CreateDirectory(_dir.File("elsewhere")).FullName;
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <configuration><packageSources><clear /><add key="empty" value="{Directory.CreateDirectory(_dir.File("empty-feed")).FullName}" /></packageSources></configuration>
            """);
        var environment = ChildCache();
        environment["NUGET_PACKAGES"] = Directory.CreateDirectory(_dir.File("no-packages")).FullName;
        var train = await Run(dll, ["train", _dir.Write("c.txt", Corpora.Prose(3)), "-o", _dir.File("m.tgm")], environment, project);
        Assert.Equal(1, train.Code);
        Assert.Single(train.Error.Trim().Split('\n'));
        Assert.StartsWith("textgen: training needs libtorch-cpu-linux-x64 ", train.Error);
        Assert.Contains("empty does not have it", train.Error);
        Assert.Contains("TEXTGEN_LIBTORCH_SOURCE", train.Error);
        Assert.False(File.Exists(_dir.File("m.tgm")));
    }

    [Fact]
    public async Task SampleEmbedAndServeWorkWithNoSetUp()
    {
        var dll = CliWithoutLibtorch();

        var sample = await Run(dll, "sample", "-m", model.Path, "--length", "60", "--seed", "1");
        Assert.True(sample.Code == 0, sample.Error);
        Assert.Equal(model.Generator.Generate("", new TextGen.Generation.SamplingOptions { Length = 60, Seed = 1 }), sample.Output.TrimEnd('\n'));

        var embed = await Run(dll, "embed", "-m", model.Path, "--nearest", "e", "-k", "2");
        Assert.True(embed.Code == 0, embed.Error);

        using var serve = Start(dll, ["serve", "-m", model.Path, "--port", "0"]);
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

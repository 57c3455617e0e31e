using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TextGen.Tests.Packaging;

/// <summary>
/// The packages `./test.sh` packs into artifacts/packages, consumed as a user would: a fresh console project that adds
/// TextGen.Runtime and generates from a model the suite trained (with no libtorch in its output), one that adds
/// TextGen.Training and trains through one call, and the `textgen` tool installed into a folder, which trains and
/// samples. Each restores into a folder of its own, so a package of an older build cached under the same version can
/// never stand in for this one; libtorch is fetched, as on a user's first run, from the restore's packages folder
/// used as a feed (TEXTGEN_LIBTORCH_SOURCE), into a cache of the test's own.
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

    private Task<string> Dotnet(string directory, params string[] args) => Run("dotnet", directory, args);

    /// <summary>Runs PROGRAM as a user's shell would (the system's dotnet), with the test's NuGet and textgen caches; returns stdout, stderr too on failure.</summary>
    private async Task<string> Run(string program, string directory, params string[] args) => (await RunWithError(program, directory, args)).Output;

    private async Task<(string Output, string Error)> RunWithError(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_dir.Path, "nuget-cache");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["TEXTGEN_CACHE"] = ChildCache.Create(_dir.Path);
        start.Environment["TEXTGEN_LIBTORCH_SOURCE"] = GlobalPackages();
        start.Environment.Remove("LD_LIBRARY_PATH");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return (await output, await error);
    }

    private string NuGetConfig(string project, string packages)
    {
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <configuration><packageSources>
              <clear />
              <add key="textgen" value="{packages}" />
              <add key="restored" value="{GlobalPackages()}" />
            </packageSources></configuration>
            """);
        return project;
    }

    /// <summary>A new console project NAME that references PACKAGE from artifacts/packages, with PROGRAM as its Program.cs, built into out/.</summary>
    private async Task<string> ConsoleProject(string name, string package, string program)
    {
        var project = Directory.CreateDirectory(Path.Combine(_dir.Path, name)).FullName;
        await Dotnet(project, "new", "console", "--framework", "net10.0");
        NuGetConfig(project, PackagesFolder());
        await Dotnet(project, "add", "package", package, "--version", "0.1.0");
        File.WriteAllText(Path.Combine(project, "Program.cs"), program);
        await Dotnet(project, "build", "-c", "Release", "-o", "out");
        return project;
    }

    [Fact]
    public async Task AFreshConsoleProjectGeneratesFromTheRuntimePackageWithoutLibtorch()
    {
        var project = await ConsoleProject("Bot", "TextGen.Runtime", """
            using TextGen.Generation;
            var generator = TextGenerator.Load(args[0]);
            Console.Write(generator.Generate("Call me", new SamplingOptions { Length = 50, Seed = 7 }));
            """);

        var output = await Dotnet(project, Path.Combine(project, "out", "Bot.dll"), model.Path);
        Assert.Equal(model.Generator.Generate("Call me", new TextGen.Generation.SamplingOptions { Length = 50, Seed = 7 }), output);
        var files = Directory.GetFiles(Path.Combine(project, "out"), "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(files, f => Regex.IsMatch(Path.GetFileName(f), "torch|c10", RegexOptions.IgnoreCase));
        Assert.True(files.Sum(f => new FileInfo(f).Length) < 20 << 20, "a generation-only program's output should be a few MB");
    }

    [Fact]
    public async Task AFreshConsoleProjectTrainsThroughTheTrainingPackageAndSamples()
    {
        var project = await ConsoleProject("Trainer", "TextGen.Training", """
            using TextGen.Generation;
            using TextGen.Native;
            using TextGen.Training;
            TorchRuntime.EnsureLoaded();
            var result = TrainingSession.Train(new TrainRequest
            {
                Corpora = [args[0]], OutputPath = args[1], Network = new() { Hidden = 32 },
                Training = new() { Epochs = 2, Seed = 1 },
            });
            Console.Write(TextGenerator.Load(result.ModelPath).Generate("", new SamplingOptions { Length = 40, Seed = 1 }));
            """);
        var files = Directory.GetFiles(Path.Combine(project, "out"), "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(files, f => Path.GetFileName(f).Contains("torch_cpu", StringComparison.Ordinal));

        var trained = Path.Combine(_dir.Path, "trained.tgm");
        var (text, log) = await RunWithError("dotnet", project, Path.Combine(project, "out", "Trainer.dll"), _dir.Write("corpus.txt", Corpora.Prose(4)), trained);
        Assert.True(File.Exists(trained), log);
        Assert.Equal(TextGen.Generation.TextGenerator.Load(trained).Generate("", new TextGen.Generation.SamplingOptions { Length = 40, Seed = 1 }), text);
        Assert.Contains("fetching libtorch-cpu-linux-x64", log); // from the feed into the test's cache, as on a first run
    }

    [Fact]
    public async Task TheToolInstallsIntoAFolderTrainsAndSamples()
    {
        var packages = PackagesFolder();
        foreach (var platform in new[] { "linux-x64", "linux-arm64", "osx-arm64", "win-x64", "any" })
        {
            var size = new FileInfo(Path.Combine(packages, $"textgen.{platform}.0.1.0.nupkg")).Length;
            Assert.True(size < 25 << 20, $"textgen.{platform} is {size / 1e6:N1} MB; a platform's tool package stays under 25 MB");
        }
        var tools = Path.Combine(_dir.Path, "tools");
        await Dotnet(NuGetConfig(_dir.Path, packages), "tool", "install", "textgen", "--version", "0.1.0", "--tool-path", tools);
        var textgen = Path.Combine(tools, "textgen");
        var installed = Directory.EnumerateFiles(tools, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(installed < 80 << 20, $"the installed tool takes {installed / 1e6:N0} MB");

        var trained = Path.Combine(_dir.Path, "tool.tgm");
        var (_, log) = await RunWithError(textgen, _dir.Path, "train", _dir.Write("tool-corpus.txt", Corpora.Prose(4)), "--epochs", "2", "--hidden", "32", "-o", trained);
        Assert.Contains("fetched libtorch from ", log);
        Assert.True(File.Exists(trained), log);
        var tooled = await Run(textgen, _dir.Path, "sample", "-m", trained, "--length", "30", "--seed", "1");
        Assert.Equal(TextGen.Generation.TextGenerator.Load(trained).Generate("", new TextGen.Generation.SamplingOptions { Length = 30, Seed = 1 }), tooled.TrimEnd('\n'));
        var (_, again) = await RunWithError(textgen, _dir.Path, "eval", "-m", trained, Path.Combine(_dir.Path, "tool-corpus.txt"));
        Assert.DoesNotContain("fetch", again); // fetched once

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

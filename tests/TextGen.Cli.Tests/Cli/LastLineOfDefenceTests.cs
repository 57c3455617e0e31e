using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using TextGen.Cli;
using TextGen.Server;
using TextGen.Training;

namespace TextGen.Tests.Cli;

/// <summary>
/// An exception no check foresaw, injected (TEXTGEN_INJECT_FAULT) at each entry point: every command ends in one line
/// naming a report that holds the full trace, with exit code 70, not .NET's trace and an abort; a thread of its own
/// ends the process the same way; the library's training loop throws an InternalErrorException; the server answers
/// 500 in OpenAI's error shape and goes on serving.
/// </summary>
public sealed class LastLineOfDefenceTests(SharedModel model) : IClassFixture<SharedModel>, IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>Every command, with arguments that parse (the fault comes before any of them is used).</summary>
    public static TheoryData<string, string[]> Commands => new()
    {
        { "train", ["train", "corpus.txt"] },
        { "sample", ["sample", "-m", "m.tgm"] },
        { "eval", ["eval", "-m", "m.tgm", "corpus.txt"] },
        { "forecast train", ["forecast", "train", "prices.csv"] },
        { "forecast predict", ["forecast", "predict", "-m", "f.tgm"] },
        { "forecast eval", ["forecast", "eval", "prices.csv", "-m", "f.tgm"] },
        { "bench", ["bench"] },
        { "serve", ["serve", "-m", "m.tgm"] },
        { "embed", ["embed", "-m", "m.tgm"] },
        { "info", ["info", "-m", "m.tgm"] },
        { "setup", ["setup"] },
    };

    [Fact]
    public void TheListAboveHasEveryCommand()
    {
        var root = CommandLineApp.Build();
        var leaves = root.Subcommands.SelectMany(c => c.Subcommands.Count == 0 ? [c.Name] : c.Subcommands.Select(s => $"{c.Name} {s.Name}"));
        Assert.Equal(leaves.Order(), Commands.Select(row => (string)row[0]).Order());
    }

    private static T WithFault<T>(string place, Func<T> work)
    {
        Environment.SetEnvironmentVariable(InjectedFault.Variable, place);
        try
        {
            return work();
        }
        finally
        {
            Environment.SetEnvironmentVariable(InjectedFault.Variable, null);
        }
    }

    /// <summary>
    /// The last line is "textgen: internal error: TYPE: MESSAGE (the full trace is in PATH; ...)", and PATH holds the
    /// trace; the whole of stderr when the fault came before the command printed anything.
    /// </summary>
    private static void AssertReported(string stderr, string place, bool onlyLine = true)
    {
        var lines = stderr.Trim().Split('\n');
        if (onlyLine) Assert.Single(lines);
        var error = lines[^1];
        Assert.StartsWith($"textgen: internal error: InvalidOperationException: a fault injected at '{place}'", error);
        var report = Regex.Match(error, @"the full trace is in (\S+);").Groups[1].Value;
        Assert.True(File.Exists(report), $"no report at '{report}'");
        var trace = File.ReadAllText(report);
        Assert.Contains("InjectedFault.At", trace);
        Assert.Contains("   at ", trace);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EachCommandEndsInOneLineAndAReport(string place, string[] args)
    {
        var outcome = WithFault(place, () => CliRunner.Run(args));
        Assert.Equal(InternalError.ExitCode, outcome.ExitCode);
        AssertReported(outcome.Error, place);
    }

    [Fact]
    public async Task AnExceptionOnAThreadOfItsOwnEndsTheProcessInOneLine()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [Path.Combine(AppContext.BaseDirectory, "textgen.dll"), "info", "-m", model.Path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[InjectedFault.Variable] = "thread";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(InternalError.ExitCode, process.ExitCode);
        AssertReported(error, "thread");
        Assert.Equal("", await output);
    }

    [Fact]
    public void TheTrainingLoopThrowsAnInternalErrorAndTheCommandSaysSo()
    {
        var corpus = _dir.Write("c.txt", Corpora.Prose(3));
        using (var session = TrainingSession.Prepare(SmallModels.Request(corpus, _dir.File("m.tgm"), epochs: 1, seed: 1)))
        {
            var error = WithFault("training loop", () => Assert.Throws<InternalErrorException>(() => session.Run()));
            Assert.StartsWith("internal error: InvalidOperationException: a fault injected at 'training loop'", error.Message);
            Assert.IsType<InvalidOperationException>(error.InnerException);
        }

        var outcome = WithFault("training loop", () => CliRunner.Run("train", corpus, "--epochs", "1", "--hidden", "16", "-o", _dir.File("cli.tgm")));
        Assert.Equal(InternalError.ExitCode, outcome.ExitCode);
        AssertReported(outcome.Error, "training loop", onlyLine: false); // after the run's opening lines
    }

    [Fact]
    public async Task TheServerAnswers500InOpenAisShapeAndKeepsServing()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 50 });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var request = new { prompt = "Call me", max_tokens = 5, seed = 1 };

        Environment.SetEnvironmentVariable(InjectedFault.Variable, "serve request");
        HttpResponseMessage failed;
        try
        {
            failed = await http.PostAsJsonAsync("/v1/completions", request);
        }
        finally
        {
            Environment.SetEnvironmentVariable(InjectedFault.Variable, null);
        }
        using (failed)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            var body = await failed.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("server_error", body.GetProperty("error").GetProperty("type").GetString());
            Assert.Contains("internal error (InvalidOperationException)", body.GetProperty("error").GetProperty("message").GetString());
        }

        using var served = await http.PostAsJsonAsync("/v1/completions", request);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task AStreamThatFailsMidwayEndsWithAnErrorEventAndNoDone()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 50 });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var request = new { prompt = "Call me", max_tokens = 20, seed = 1, stream = true };

        Environment.SetEnvironmentVariable(InjectedFault.Variable, "serve stream");
        string events;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(request) };
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the stream had begun
            events = await ReadUntilCut(await response.Content.ReadAsStreamAsync());
        }
        finally
        {
            Environment.SetEnvironmentVariable(InjectedFault.Variable, null);
        }
        var data = events.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToArray();
        Assert.True(data.Length >= 2, events);
        Assert.DoesNotContain("[DONE]", data);
        using (var last = JsonDocument.Parse(data[^1]))
        {
            Assert.Equal("server_error", last.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        using var served = await http.PostAsJsonAsync("/v1/completions", request with { stream = false });
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    /// <summary>Everything a stream sent before it ended or was cut (a cut connection is an IOException mid-read).</summary>
    private static async Task<string> ReadUntilCut(Stream stream)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0) text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }
        return text.ToString();
    }

    [Fact]
    public async Task ABodyKestrelCannotReadIsTheClientsErrorNotAnInternalOne()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 50 });
        var crashes = Path.Combine(UserCache.Root, "crashes");
        var before = Directory.Exists(crashes) ? Directory.GetFiles(crashes).Length : 0;
        var url = new Uri(server.Url);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(url.Host, url.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n"));
        var reply = new byte[4096];
        var read = await stream.ReadAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 400", System.Text.Encoding.ASCII.GetString(reply, 0, read));
        Assert.Equal(before, Directory.Exists(crashes) ? Directory.GetFiles(crashes).Length : 0); // no report for a client's mistake
    }

    public void Dispose() => _dir.Dispose();
}

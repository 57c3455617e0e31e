// Soak test of `textgen serve`: N concurrent clients of mixed kinds for some minutes against a real server process,
// then requests served, outcomes by kind, p50/p99 latency, and the server's resident memory over time.
// Usage: dotnet run -c Release --project tests/TextGen.Soak -- MODEL.tgm [minutes=3] [clients=16]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

var model = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("usage: TextGen.Soak MODEL.tgm [minutes] [clients]");
var minutes = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var clients = args.Length > 2 ? int.Parse(args[2]) : 16;
var repo = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(repo, "TextGen.sln"))) repo = Path.GetDirectoryName(repo)!;
var cli = Path.Combine(repo, "src", "TextGen.Cli", "bin", "Release", "net10.0", "textgen.dll");

using var server = Process.Start(new ProcessStartInfo("dotnet", [cli, "serve", "-m", model, "--port", "0"]) { RedirectStandardError = true })!;
var url = Regex.Match(await server.StandardError.ReadLineAsync() ?? "", @"http://\S+").Value;
Console.WriteLine($"server {url}, pid {server.Id}; {clients} clients for {minutes} min");
long Rss() => long.Parse(Regex.Match(File.ReadAllText($"/proc/{server.Id}/status"), @"VmRSS:\s+(\d+)").Groups[1].Value) / 1024;
await Task.Delay(500);
var startRss = Rss();
long peakRss = startRss;

var kinds = new[] { "complete", "stream", "slow-reader", "stall", "disconnect", "oversize", "bad-json", "chat" };
var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string Outcome), int>();
var latencies = kinds.ToDictionary(k => k, _ => new List<double>());
var end = DateTime.UtcNow.AddMinutes(minutes);
using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) };

async Task Client(int id)
{
    var random = new Random(id);
    while (DateTime.UtcNow < end)
    {
        var kind = kinds[random.Next(kinds.Length)];
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            outcome = kind switch
            {
                "complete" => await Status(http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = random.Next(20, 300), n = random.Next(1, 4) })),
                "chat" => await Status(http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hello there" } }, max_tokens = 100 })),
                "stream" => await Stream(random, readDelay: 0, giveUpAfter: null),
                "slow-reader" => await Stream(random, readDelay: 50, giveUpAfter: null),
                "disconnect" => await Stream(random, readDelay: 0, giveUpAfter: TimeSpan.FromMilliseconds(random.Next(20, 400))),
                "stall" => await Stall(),
                "oversize" => await Status(http.PostAsync("/v1/completions", new StringContent(new string('x', 2 << 20), Encoding.UTF8, "application/json"))),
                _ => await Status(http.PostAsync("/v1/completions", new StringContent("{\"prompt\": ", Encoding.UTF8, "application/json"))),
            };
        }
        catch (Exception e)
        {
            outcome = $"{e.GetType().Name} ({(e.InnerException ?? e).Message.Split('.')[0]})";
        }
        outcomes.AddOrUpdate((kind, outcome), 1, (_, n) => n + 1);
        lock (latencies[kind]) latencies[kind].Add(clock.Elapsed.TotalMilliseconds);
    }
}

async Task<string> Status(Task<HttpResponseMessage> request)
{
    using var response = await request;
    await response.Content.ReadAsByteArrayAsync();
    return ((int)response.StatusCode).ToString();
}

async Task<string> Stream(Random random, int readDelay, TimeSpan? giveUpAfter)
{
    using var cancel = giveUpAfter is { } after ? new CancellationTokenSource(after) : new CancellationTokenSource();
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(new { prompt = "Call me", max_tokens = random.Next(50, 500), stream = true }) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line == "data: [DONE]") return "200";
            if (readDelay > 0) await Task.Delay(readDelay, cancel.Token);
        }
        return "ended early";
    }
    catch (OperationCanceledException) when (giveUpAfter is not null)
    {
        return "gave up (as planned)";
    }
}

// A client that asks for a long stream and stops reading for 30 s: the server must cut it off (stalled-write timeout)
// rather than keep its slot; what arrives afterwards then ends without the closing [DONE].
async Task<string> Stall()
{
    var uri = new Uri(url);
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
    await socket.ConnectAsync(uri.Host, uri.Port);
    var body = """{"prompt": "Call me", "max_tokens": 100000, "stream": true}""";
    await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
    await Task.Delay(TimeSpan.FromSeconds(30));
    var buffer = new byte[1 << 16];
    var tail = "";
    using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(120));
    try
    {
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, drain.Token);
            if (n == 0) break;
            tail = (tail + Encoding.ASCII.GetString(buffer, 0, n))[^Math.Min(tail.Length + n, 64)..];
        }
    }
    catch (SocketException)
    {
        return "cut off by the server (reset)";
    }
    catch (OperationCanceledException)
    {
        return "still open after 150 s";
    }
    return tail.Contains("[DONE]") ? "served in full (queued past the stall)" : "cut off by the server";
}

var sampler = Task.Run(async () =>
{
    while (DateTime.UtcNow < end.AddSeconds(60) && !server.HasExited)
    {
        peakRss = Math.Max(peakRss, Rss());
        await Task.Delay(250);
    }
});
await Task.WhenAll(Enumerable.Range(0, clients).Select(Client));
var afterLoad = Rss();
await Task.Delay(TimeSpan.FromSeconds(20)); // idle: the GC gives memory back
var idle = Rss();
server.Kill();

double Percentile(List<double> values, double p) => values.Count == 0 ? 0 : values.Order().ElementAt((int)Math.Min(values.Count - 1, Math.Floor(p * values.Count)));
Console.WriteLine($"{"kind",-12} {"requests",9} {"p50 ms",9} {"p99 ms",9}  outcomes");
foreach (var kind in kinds)
{
    var list = latencies[kind];
    var byOutcome = string.Join(", ", outcomes.Where(o => o.Key.Kind == kind).OrderByDescending(o => o.Value).Select(o => $"{o.Key.Outcome}: {o.Value}"));
    Console.WriteLine($"{kind,-12} {list.Count,9} {Percentile(list, 0.5),9:F0} {Percentile(list, 0.99),9:F0}  {byOutcome}");
}
Console.WriteLine($"requests: {latencies.Values.Sum(l => l.Count)}; server RSS MB: start {startRss}, peak {peakRss}, end of load {afterLoad}, after 20 s idle {idle}");

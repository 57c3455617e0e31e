using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using TextGen.Server;

namespace TextGen.Tests.Server;

/// <summary>A client that asks for a long stream and then stops reading must not keep its generation slot.</summary>
public sealed class SlowReaderTests(ProseModel model) : IClassFixture<ProseModel>
{
    [Fact]
    public async Task ClientsThatStopReadingLoseTheirSlotsAndOthersAreServed()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxConcurrent = 1, MaxTokens = 200_000 });
        var uri = new Uri(server.Url);
        // Raw sockets with a tiny receive buffer, never read: the stream backs up into the server's writes at once.
        var stalled = new List<Socket>();
        for (var i = 0; i < 1; i++) // one stalled client holds the only slot
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
            await socket.ConnectAsync(uri.Host, uri.Port);
            var body = """{"prompt": "Call me", "max_tokens": 200000, "stream": true}""";
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
            stalled.Add(socket);
        }
        try
        {
            using var http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 10 });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            // A write that waits longer than the stalled-write timeout (10 s) ends the connection and frees the slot.
            Assert.True(clock.Elapsed < Completions.StalledWriteTimeout * 2.5, $"served after {clock.Elapsed}");
        }
        finally
        {
            foreach (var socket in stalled) socket.Dispose();
        }
    }
}

using TextGen.Server;

namespace TextGen.Tests.Server;

/// <summary>--host binds exactly what it names, or fails in one line; never wider.</summary>
public class ServerBindingTests(ProseModel model) : IClassFixture<ProseModel>
{
    [Fact]
    public async Task AnAddressOfAnotherMachineFailsInOneLine()
    {
        var error = await Assert.ThrowsAsync<TextGenException>(() =>
            CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Host = "10.255.255.1", Port = 0 }));
        Assert.Contains("cannot listen on 10.255.255.1", error.Message);
        Assert.Contains("address of this machine", error.Message);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task LoopbackNamesBindTheLoopbackOnly(string host)
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Host = host, Port = 0 });
        Assert.StartsWith("http://127.0.0.1:", server.Url);
    }
}

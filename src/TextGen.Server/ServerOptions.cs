using TextGen.Settings;

namespace TextGen.Server;

/// <summary>Where the server listens and the limits it enforces on requests, declared once for the library and the CLI.</summary>
public sealed record ServerOptions
{
    /// <summary>Loopback by default; binding anywhere else has to be asked for.</summary>
    [Option("host", "Address to bind: 127.0.0.1 is this machine only; 0.0.0.0 exposes the server to the network.")]
    public string Host { get; init; } = "127.0.0.1";

    [Option("port", "TCP port (0 picks a free one).", Min = 0, Max = 65535)]
    public int Port { get; init; } = 8080;

    [Option("max-tokens", "Largest max_tokens a request may ask for.", Min = 1, Max = MaxTokensLimit)]
    public int MaxTokens { get; init; } = 4096;

    /// <summary>The largest <see cref="MaxTokens"/> a server accepts.</summary>
    public const int MaxTokensLimit = 10_000_000;

    public int DefaultMaxTokens { get; init; } = 256;
    public int MaxChoices { get; init; } = 16;

    /// <summary>Generations running at once; further requests wait in a queue.</summary>
    [Option("max-concurrency", "Generations running at once (more wait in a queue).", Min = 1, Max = 1024, Chosen = "the core count, at least 2")]
    public int MaxConcurrent { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Requests waiting for a slot beyond which new ones get 429.</summary>
    public int MaxQueued { get; init; } = 64;
    public long MaxBodyBytes { get; init; } = 1 << 20;

    public void Validate()
    {
        Declared<ServerOptions>.Validate(this);
        if (string.IsNullOrWhiteSpace(Host)) throw new SettingException("host", "is empty; use 127.0.0.1 (loopback) or an address to bind.");
    }
}

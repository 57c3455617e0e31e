namespace TextGen.Server;

/// <summary>The server's settings, declared once for the library and the CLI.</summary>
public static class ServerSettings
{
    public static readonly Setting<int> Port = new("port", "TCP port (0 picks a free one).", 8080, 0, 65535);
    public static readonly Setting<int> MaxTokens = new("max-tokens", "Largest max_tokens a request may ask for.", 4096, 1, 10_000_000);
    public static readonly Setting<int> MaxConcurrent = new("max-concurrency", "Generations running at once (more wait in a queue). Default: the core count, at least 2.", Math.Max(2, Environment.ProcessorCount), 1, 1024);
}

/// <summary>Where the server listens and the limits it enforces on requests.</summary>
public sealed record ServerOptions
{
    /// <summary>Loopback by default; binding anywhere else has to be asked for.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = ServerSettings.Port.Default;
    public int MaxTokens { get; init; } = ServerSettings.MaxTokens.Default;
    public int DefaultMaxTokens { get; init; } = 256;
    public int MaxChoices { get; init; } = 16;
    /// <summary>Generations running at once; further requests wait in a queue.</summary>
    public int MaxConcurrent { get; init; } = ServerSettings.MaxConcurrent.Default;
    /// <summary>Requests waiting for a slot beyond which new ones get 429.</summary>
    public int MaxQueued { get; init; } = 64;
    public long MaxBodyBytes { get; init; } = 1 << 20;

    public void Validate()
    {
        ServerSettings.Port.Check(Port);
        ServerSettings.MaxTokens.Check(MaxTokens);
        ServerSettings.MaxConcurrent.Check(MaxConcurrent);
        if (string.IsNullOrWhiteSpace(Host)) throw new SettingException("host", "is empty; use 127.0.0.1 (loopback) or an address to bind.");
    }
}

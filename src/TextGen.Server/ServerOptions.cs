namespace TextGen.Server;

/// <summary>Where the server listens and the limits it enforces on requests.</summary>
public sealed record ServerOptions
{
    /// <summary>Loopback by default; binding anywhere else has to be asked for.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = 8080;
    public int MaxTokens { get; init; } = 4096;
    public int DefaultMaxTokens { get; init; } = 256;
    public int MaxChoices { get; init; } = 16;
    /// <summary>Generations running at once; further requests wait in a queue.</summary>
    public int MaxConcurrent { get; init; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>Requests waiting for a slot beyond which new ones get 429.</summary>
    public int MaxQueued { get; init; } = 64;
    public long MaxBodyBytes { get; init; } = 1 << 20;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new TextGenException($"--port {Port} is out of range; use 1 to 65535 (0 picks a free one).");
        if (MaxTokens < 1) throw new TextGenException($"--max-tokens {MaxTokens} is out of range; use 1 or more.");
        if (MaxConcurrent < 1) throw new TextGenException($"--max-concurrency {MaxConcurrent} is out of range; use 1 or more.");
        if (string.IsNullOrWhiteSpace(Host)) throw new TextGenException("--host is empty; use 127.0.0.1 (loopback) or an address to bind.");
    }
}

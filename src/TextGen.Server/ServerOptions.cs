using Microsoft.Extensions.Logging;
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

    /// <summary>The key API requests must send as <c>Authorization: Bearer KEY</c>; null: none needed.</summary>
    [Option("api-key", "Key every request but / and /health must send as 'Authorization: Bearer KEY' (401 without it). Prefer --api-key-file or the variable: " +
        "a flag shows in the process list.", Chosen = "none: any client that reaches the port may generate")]
    public string? ApiKey { get; init; }

    /// <summary>A file whose first line is the key, instead of <see cref="ApiKey"/>.</summary>
    [Option("api-key-file", "File whose first line is the key, as --api-key (keeps the key out of the process list).", Chosen = "none")]
    public string? ApiKeyFile { get; init; }

    [Option("log-format", "Server log on stderr: text (one line per event) or json (one object per line).")]
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    [Option("log-level", "Least severe events logged: information shows one line per request; warning only problems; debug adds /health and /metrics requests.")]
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Requests waiting for a slot beyond which new ones get 429.</summary>
    public int MaxQueued { get; init; } = 64;
    public long MaxBodyBytes { get; init; } = 1 << 20;

    public void Validate()
    {
        Declared<ServerOptions>.Validate(this);
        if (string.IsNullOrWhiteSpace(Host)) throw new SettingException("host", "is empty; use 127.0.0.1 (loopback) or an address to bind.");
        _ = Key();
    }

    /// <summary>
    /// The key requests must present, from <see cref="ApiKey"/> or the first line of <see cref="ApiKeyFile"/>; null when
    /// neither is set. A key file that cannot be read, or a blank key, is refused rather than leaving the server open.
    /// </summary>
    public string? Key()
    {
        if (ApiKey is not null && ApiKeyFile is not null) throw new SettingException("api-key-file", "and --api-key are both set; give the key one way.");
        var key = ApiKey;
        if (ApiKeyFile is { } file)
        {
            try
            {
                key = FirstLine(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new SettingException("api-key-file", $"{file} cannot be read ({e.Message.TrimEnd('.')}); give a readable file whose first line is the key.");
            }
        }
        if (key is null) return null;
        key = key.Trim();
        if (key.Length == 0) throw new SettingException(ApiKeyFile is null ? "api-key" : "api-key-file", "is blank; give a key (e.g. from `openssl rand -hex 32`).");
        if (key.Length > MaxKeyLength) throw new SettingException(ApiKeyFile is null ? "api-key" : "api-key-file", $"holds a key longer than {MaxKeyLength} characters; use a shorter one.");
        if (key.Any(char.IsControl)) throw new SettingException(ApiKeyFile is null ? "api-key" : "api-key-file", "holds control characters, which no HTTP header can carry; use printable characters.");
        return key;
    }

    /// <summary>The longest key accepted; a key file is read no further than this (it could be a device or a huge file).</summary>
    public const int MaxKeyLength = 4096;

    private static string FirstLine(string file)
    {
        using var reader = new StreamReader(file);
        var buffer = new char[MaxKeyLength + 1];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        var line = buffer.AsSpan(0, read);
        var end = line.IndexOfAny('\r', '\n');
        return (end >= 0 ? line[..end] : line).ToString();
    }
}

/// <summary>How the server writes its log.</summary>
public enum LogFormat
{
    Text,
    Json,
}

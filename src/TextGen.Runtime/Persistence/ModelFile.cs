using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TextGen.Persistence;

/// <summary>
/// The versioned container behind <c>.tgm</c> model files and training checkpoints:
/// magic, format version, JSON header, named binary sections (weights, optimizer state, ...), SHA-256 of all of it.
/// A file that is truncated, altered, not ours or from a newer format is refused with a message saying which.
/// </summary>
public static class ModelFile
{
    public const int FormatVersion = 1;
    public const string Extension = ".tgm";

    private static readonly byte[] Magic = "TEXTGEN\0"u8.ToArray();

    /// <summary>
    /// The largest file this format writes and reads: the file and each section are held in one .NET array, and section
    /// lengths are 32-bit. Networks are checked against it before training, so a wide model fails at once, saying so.
    /// </summary>
    public static readonly long MaxBytes = Array.MaxLength - (1 << 20); // less room for the header

    /// <summary>More sections than any file of ours has (weights, optimizer state, average, ...).</summary>
    private const int MaxSections = 64;

    public static void Write<THeader>(string path, THeader header, JsonTypeInfo<THeader> json, IReadOnlyDictionary<string, byte[]> sections)
    {
        var total = sections.Values.Sum(bytes => (long)bytes.Length);
        if (total > MaxBytes)
        {
            throw new TextGenException($"cannot write {path}: it would hold {total / 1e9:F1} GB, over the {MaxBytes / 1e9:F1} GB a TextGen model file holds; train a narrower model.");
        }
        AtomicFile.Write(path, stream =>
        {
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(JsonSerializer.Serialize(header, json));
                writer.Write(sections.Count);
                foreach (var (name, bytes) in sections)
                {
                    writer.Write(name);
                    writer.Write(bytes.Length);
                    writer.Write(bytes);
                }
            }
            buffer.Write(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
            buffer.Position = 0;
            buffer.CopyTo(stream);
        });
    }

    /// <summary>The kind of model a header without a "kind" field holds: the text models of format 1.</summary>
    public const string TextKind = "text";

    /// <summary>Reads a file and checks that its header says it holds <paramref name="kind"/>.</summary>
    public static (THeader Header, Dictionary<string, byte[]> Sections) Read<THeader>(string path, string kind, JsonTypeInfo<THeader> json)
    {
        var (header, sections) = ReadRaw(path);
        var actual = KindOf(header);
        if (actual != kind)
        {
            var use = actual == TextKind ? "textgen sample / eval" : $"textgen {actual}";
            throw new TextGenException($"{path} is a {actual} model, not a {kind} model; use it with `{use}`.");
        }
        try
        {
            return (JsonSerializer.Deserialize(header, json) ?? throw new InvalidDataException("empty header"), sections);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new TextGenException($"{path} has an unreadable header ({OneLine(e.Message)}); the file is corrupt.", e);
        }
    }

    /// <summary>
    /// The kind of model in a file, from its header alone (no checksum: cheap on large files). Throws the usual
    /// one-line error for a file that is not a model or whose header cannot be read; loading checks the rest.
    /// </summary>
    public static string ReadKind(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            ReadPreamble(reader, stream.Length, path);
            return KindOf(reader.ReadString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new TextGenException($"{path} has an unreadable header ({OneLine(e.Message)}); the file is truncated or corrupt.", e);
        }
    }

    /// <summary>Reads and checks the magic number and the format version; returns the version (0 when the file ends first).</summary>
    private static int ReadPreamble(BinaryReader reader, long length, string path)
    {
        if (length < Magic.Length || !reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw new TextGenException($"{path} is not a TextGen model file; pass a .tgm file written by `textgen train`.");
        }
        var version = length >= Magic.Length + 4 ? reader.ReadInt32() : 0;
        if (version > FormatVersion)
        {
            throw new TextGenException($"{path} was written by a newer TextGen (model format {version}; this one reads up to {FormatVersion}); upgrade TextGen.");
        }
        return version;
    }

    private static string KindOf(string header)
    {
        try
        {
            using var document = JsonDocument.Parse(header);
            return document.RootElement.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String ? kind.GetString()! : TextKind;
        }
        catch (JsonException)
        {
            return TextKind; // deserialising will say what is wrong
        }
    }

    private static string OneLine(string message) => message.Split('\n', 2)[0].Trim();

    private static (string Header, Dictionary<string, byte[]> Sections) ReadRaw(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "model file", "train one with `textgen train` or check the path");
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        var version = ReadPreamble(reader, bytes.Length, path);
        const int hashLength = 32;
        if (version < 1 || bytes.Length < Magic.Length + 4 + hashLength ||
            !SHA256.HashData(bytes.AsSpan(0, bytes.Length - hashLength)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - hashLength)))
        {
            throw new TextGenException($"{path} is truncated or corrupt (checksum mismatch); train the model again or restore the file.");
        }
        try
        {
            var header = reader.ReadString();
            // The checksum detects accidents, not intent: every number read here is checked before it sizes anything.
            var count = reader.ReadInt32();
            if (count is < 0 or > MaxSections)
            {
                throw new TextGenException($"{path} claims {count} sections; the file is corrupt or was edited.");
            }
            var sections = new Dictionary<string, byte[]>(count);
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var length = reader.ReadInt32();
                if (length < 0 || length > bytes.Length - hashLength - reader.BaseStream.Position)
                {
                    throw new TextGenException($"{path} claims a {length}-byte '{name}' section that the file does not hold; the file is corrupt or was edited.");
                }
                sections[name] = reader.ReadBytes(length);
            }
            return (header, sections);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            throw new TextGenException($"{path} has an unreadable header ({OneLine(e.Message)}); the file is corrupt.", e);
        }
    }
}

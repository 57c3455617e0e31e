using System.IO.Hashing;
using System.Text;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>
/// A piece of a corpus: its byte offset and length in the file, its raw bytes, and its text, checked and normalised
/// when first asked for. Pieces are decoded where they are mapped, on every core, not by the thread that reads them.
/// </summary>
public sealed class CorpusChunk(long offset, ReadOnlyMemory<byte> raw, Func<ReadOnlyMemory<byte>, long, string> decode)
{
    private string? _text;
    private ReadOnlyMemory<byte>? _plain;
    private bool _plainChecked;

    public long Offset { get; } = offset;
    public int Bytes => raw.Length;
    /// <summary>The pool's array holding the bytes, for <see cref="CorpusFile.ForEachChunk"/> to return once the piece is consumed.</summary>
    internal byte[]? PooledArray { get; init; }
    /// <summary>The piece's text; throws <see cref="TextGenException"/> for binary data or invalid UTF-8, naming the file and the offset.</summary>
    public string Text => _text ??= decode(raw, Offset);

    /// <summary>
    /// The raw bytes when they are already the normalised text (valid UTF-8 with no NUL, no carriage return and no
    /// byte-order mark), so a level can count or encode the bytes without decoding them; null otherwise (then use
    /// <see cref="Text"/>, which also names what is wrong).
    /// </summary>
    public ReadOnlyMemory<byte>? PlainUtf8
    {
        get
        {
            if (!_plainChecked)
            {
                var span = raw.Span;
                var plain = System.Text.Unicode.Utf8.IsValid(span) && span.IndexOfAny((byte)0, (byte)'\r') < 0 && !(Offset == 0 && span.StartsWith("\uFEFF"u8));
                (_plain, _plainChecked) = (plain ? raw : (ReadOnlyMemory<byte>?)null, true);
            }
            return _plain;
        }
    }
}

/// <summary>
/// A UTF-8 text corpus read in pieces of about <see cref="ChunkBytes"/>, so that no corpus is ever held whole: each
/// piece is checked (no NUL byte, strict UTF-8; errors name the file offset) and normalised as
/// <see cref="TextNormalizer"/> does. Pieces are cut where no token of any level can cross, so tokenizing them one
/// by one gives the tokens of the whole text: after a line end between two visible characters of any script (a line
/// starts a new word, BPE pre-token and document), failing that before a space that follows a visible character
/// (one-line corpora such as text8), failing that at a character boundary (over a MB with neither).
/// </summary>
public sealed class CorpusFile
{
    /// <summary>Bytes per piece: large enough that the per-piece cost vanishes, small enough to keep every core busy on a few MB.</summary>
    public const int ChunkBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int _chunkBytes;

    private CorpusFile(string path, long length, int chunkBytes)
    {
        Path = path;
        Length = length;
        _chunkBytes = chunkBytes;
    }

    public string Path { get; }
    public long Length { get; }

    /// <summary>Checks that the file exists and can be read, and is not empty.</summary>
    public static CorpusFile Open(string path) => Open(path, ChunkBytes);

    /// <summary>With pieces of <paramref name="chunkBytes"/> (tests cut small texts into many pieces).</summary>
    internal static CorpusFile Open(string path, int chunkBytes)
    {
        using var stream = InputFile.OpenRead(path, "file", "check the path");
        if (stream.Length == 0)
        {
            throw Empty(path);
        }
        return new CorpusFile(path, stream.Length, chunkBytes);
    }

    /// <summary>The file's metadata now: what tells that it changed, short of reading it.</summary>
    public FileStamp Stamp() => FileStamp.Of(Path);

    /// <summary>XxHash128 of the file's bytes (hex): what the token cache is keyed by. Reads at memory speed.</summary>
    public string ContentHash(IProgress<long>? bytesRead = null)
    {
        var hash = new XxHash128();
        using var stream = InputFile.OpenRead(Path, "file", "check the path");
        bytesRead?.Report(0); // the pass starts: a display times it from here
        var buffer = new byte[4 << 20];
        long done = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hash.Append(buffer.AsSpan(0, read));
            bytesRead?.Report(done += read);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>
    /// The pieces in file order. With <paramref name="wholeLines"/> (line documents) a piece ends only at a line end,
    /// growing past <see cref="ChunkBytes"/> for a longer line, up to <see cref="MaxLineBytes"/>.
    /// Throws <see cref="TextGenException"/> for binary data, invalid UTF-8 or a corpus with no text.
    /// </summary>
    public IEnumerable<CorpusChunk> Chunks(bool wholeLines = false) => Chunks(wholeLines, pooled: false);

    /// <param name="pooled">Pieces in arrays from the shared pool, which the caller returns (<see cref="CorpusChunk.PooledArray"/>)
    /// once done with them: fresh 1 MB arrays for every piece cost page faults at corpus scale.</param>
    private IEnumerable<CorpusChunk> Chunks(bool wholeLines, bool pooled)
    {
        using var stream = InputFile.OpenRead(Path, "file", "check the path");
        var buffer = new byte[_chunkBytes];
        var filled = 0;
        long offset = 0;
        var sawText = false;
        while (true)
        {
            var read = 1;
            while (filled < buffer.Length && (read = stream.Read(buffer, filled, buffer.Length - filled)) > 0) filled += read;
            if (filled == 0) break;
            var end = read == 0 ? filled : wholeLines ? buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1 : Boundary(buffer.AsSpan(0, filled));
            if (end == 0)
            {
                if (buffer.Length >= MaxLineBytes)
                {
                    throw new TextGenException($"{Path} has a line longer than {MaxLineBytes >> 20} MB at byte {offset}; documents are lines, so split it into lines or train without documents.");
                }
                Array.Resize(ref buffer, buffer.Length * 2);
                continue;
            }
            var piece = pooled ? System.Buffers.ArrayPool<byte>.Shared.Rent(end) : GC.AllocateUninitializedArray<byte>(end);
            buffer.AsSpan(0, end).CopyTo(piece);
            var chunk = new CorpusChunk(offset, piece.AsMemory(0, end), (bytes, at) => Decode(bytes.Span, at)) { PooledArray = pooled ? piece : null };
            sawText = sawText || HasText(chunk);
            yield return chunk;
            buffer.AsSpan(end, filled - end).CopyTo(buffer);
            filled -= end;
            offset += end;
            if (buffer.Length > _chunkBytes && filled <= _chunkBytes)
            {
                Array.Resize(ref buffer, _chunkBytes); // a long line made it grow; the lines after it get normal pieces
            }
        }
        if (!sawText)
        {
            throw Empty(Path);
        }
    }

    /// <summary>The longest line a corpus of line documents may have.</summary>
    public const int MaxLineBytes = 256 << 20;

    private static readonly System.Buffers.SearchValues<byte> AsciiWhiteSpace = System.Buffers.SearchValues.Create(" \t\n\v\f\r"u8);

    /// <summary>Whether a piece holds more than white space: a byte scan, decoding only where a non-ASCII byte comes first.</summary>
    private static bool HasText(CorpusChunk chunk) =>
        chunk.PlainUtf8 is { } plain && plain.Span.IndexOfAnyExcept(AsciiWhiteSpace) is var at and >= 0 && plain.Span[at] < 0x80
            || !string.IsNullOrWhiteSpace(chunk.Text);

    /// <summary>
    /// Maps every piece on all cores and hands the results to <paramref name="consume"/> in file order, one at a time,
    /// with a bounded number of pieces in flight. <paramref name="bytesDone"/> hears the bytes consumed so far.
    /// </summary>
    public void ForEachChunk<T>(Func<CorpusChunk, T> map, Action<CorpusChunk, T> consume, IProgress<long>? bytesDone = null,
        bool wholeLines = false, CancellationToken cancel = default)
    {
        var inFlight = new Queue<(CorpusChunk Chunk, Task<T> Result)>();
        var limit = 2 * Environment.ProcessorCount;
        long done = 0;
        bytesDone?.Report(0); // the pass starts: a display times it from here
        void ConsumeOldest()
        {
            var (chunk, result) = inFlight.Dequeue();
            consume(chunk, result.GetAwaiter().GetResult());
            bytesDone?.Report(done += chunk.Bytes);
            if (chunk.PooledArray is { } array) System.Buffers.ArrayPool<byte>.Shared.Return(array);
        }
        try
        {
            foreach (var chunk in Chunks(wholeLines, pooled: true))
            {
                cancel.ThrowIfCancellationRequested();
                inFlight.Enqueue((chunk, Task.Run(() => map(chunk), cancel)));
                if (inFlight.Count >= limit) ConsumeOldest();
            }
            while (inFlight.Count > 0) ConsumeOldest();
        }
        finally
        {
            // On an error, let the pieces still running finish before the caller cleans up what they write to.
            foreach (var (_, result) in inFlight) ((IAsyncResult)result).AsyncWaitHandle.WaitOne();
        }
    }

    /// <summary>Where the piece in <paramref name="bytes"/> (not the last of the file) ends; see the class summary.</summary>
    internal static int Boundary(ReadOnlySpan<byte> bytes)
    {
        for (var i = bytes.Length - 1; i > 1; i--)
        {
            // "x\nY": a lone line end between visible characters. After a run of white space ("x\n\nY") BPE's
            // pre-tokenizer would split the run differently with and without what follows it.
            if (bytes[i - 1] == (byte)'\n' && VisibleAt(bytes, i) && VisibleBefore(bytes, i - 1)) return i;
        }
        for (var i = bytes.Length - 1; i > 0; i--)
        {
            if (bytes[i] == (byte)' ' && VisibleBefore(bytes, i)) return i;
        }
        for (var i = bytes.Length - 1; i > 0; i--)
        {
            if ((bytes[i] & 0xC0) != 0x80 && bytes[i - 1] != (byte)'\r') return i; // not a UTF-8 continuation byte
        }
        return bytes.Length;
    }

    /// <summary>Whether a whole character that is not white space starts at <paramref name="at"/> (any script: CJK text has no ASCII around its line ends).</summary>
    private static bool VisibleAt(ReadOnlySpan<byte> bytes, int at) =>
        Rune.DecodeFromUtf8(bytes[at..], out var rune, out _) == System.Buffers.OperationStatus.Done && !Rune.IsWhiteSpace(rune) && !Rune.IsControl(rune);

    /// <summary>Whether the character that ends just before <paramref name="end"/> is whole and not white space.</summary>
    private static bool VisibleBefore(ReadOnlySpan<byte> bytes, int end) =>
        Rune.DecodeLastFromUtf8(bytes[..end], out var rune, out _) == System.Buffers.OperationStatus.Done && !Rune.IsWhiteSpace(rune) && !Rune.IsControl(rune);

    private string Decode(ReadOnlySpan<byte> bytes, long offset)
    {
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new TextGenException($"{Path} looks like binary data (NUL byte at offset {offset + nul}); pass a UTF-8 text file.");
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            var at = e.Index >= 0 ? $" near byte {offset + e.Index}" : "";
            throw new TextGenException($"{Path} is not valid UTF-8{at}; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8).");
        }
        return offset == 0 ? TextNormalizer.Normalize(text) : TextNormalizer.NormalizeLineEnds(text);
    }

    private static TextGenException Empty(string path) =>
        new($"{path} has no text (it is empty or only whitespace); pass a corpus with some text in it.");
}

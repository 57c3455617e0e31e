using System.Text;

namespace TextGen.Tokenization;

/// <summary>
/// The character level on a corpus piece's UTF-8 bytes, without decoding it to a string: a table look-up per ASCII
/// byte, a decoded scalar value per longer sequence. The bytes must already be the normalised text (valid UTF-8, no
/// carriage return, no byte-order mark), which the corpus reader checks.
/// </summary>
public sealed partial class CharTokenizer
{
    /// <summary><see cref="CountCharacters"/> for normalised UTF-8 text given as its bytes.</summary>
    public static Dictionary<string, long> CountUtf8(ReadOnlySpan<byte> utf8)
    {
        // Four byte histograms side by side, so that runs of one byte do not wait on each other's increments.
        var ascii = new long[4 * 128];
        var others = new Dictionary<int, long>();
        var i = 0;
        while (i < utf8.Length)
        {
            var end = AsciiRunEnd(utf8, i);
            for (; i + 4 <= end; i += 4)
            {
                ascii[utf8[i]]++;
                ascii[128 + utf8[i + 1]]++;
                ascii[256 + utf8[i + 2]]++;
                ascii[384 + utf8[i + 3]]++;
            }
            for (; i < end; i++) ascii[utf8[i]]++;
            if (i == utf8.Length) break;
            Rune.DecodeFromUtf8(utf8[i..], out var rune, out var consumed);
            others[rune.Value] = others.GetValueOrDefault(rune.Value) + 1;
            i += consumed;
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var b = 0; b < 128; b++)
        {
            var count = ascii[b] + ascii[128 + b] + ascii[256 + b] + ascii[384 + b];
            if (count > 0) counts[((char)b).ToString()] = count;
        }
        foreach (var (codePoint, count) in others) counts[char.ConvertFromUtf32(codePoint)] = count;
        return counts;
    }

    /// <summary>
    /// The ids of normalised UTF-8 text for a vocabulary of at most 256 characters, whose ids are stored as single bytes:
    /// writes them straight into <paramref name="ids"/> (as long as the text at least) and adds each to
    /// <paramref name="counts"/>, in one pass. Returns how many, or -1 (counts then partly added) when a character is
    /// outside the vocabulary (then <see cref="Encode"/> the decoded text, which counts and names it).
    /// </summary>
    public int EncodeUtf8(ReadOnlySpan<byte> utf8, Span<byte> ids, Span<int> counts)
    {
        if (VocabularySize > 256) throw new InvalidOperationException("byte ids hold vocabularies of at most 256 characters");
        var (count, i) = (0, 0);
        while (i < utf8.Length)
        {
            var end = AsciiRunEnd(utf8, i);
            for (; i < end; i++)
            {
                var id = _bmpIds[utf8[i]] - 1;
                if (id < 0) return -1;
                counts[id]++;
                ids[count++] = (byte)id;
            }
            if (i == utf8.Length) break;
            Rune.DecodeFromUtf8(utf8[i..], out var rune, out var consumed);
            var other = rune.Value <= char.MaxValue ? _bmpIds[rune.Value] - 1 : _supplementaryIds.GetValueOrDefault(rune.Value, -1);
            if (other < 0) return -1;
            counts[other]++;
            ids[count++] = (byte)other;
            i += consumed;
        }
        return count;
    }

    /// <summary>Where the run of ASCII bytes from <paramref name="start"/> ends (a vectorised search for the next byte above 127).</summary>
    private static int AsciiRunEnd(ReadOnlySpan<byte> utf8, int start)
    {
        var next = utf8[start..].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        return next < 0 ? utf8.Length : start + next;
    }
}

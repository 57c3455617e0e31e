namespace TextGen.Tokenization;

/// <summary>
/// GPT-2's reversible mapping of the 256 byte values to printable characters, in which byte-level BPE vocabularies
/// and merges are written (Microsoft.ML.Tokenizers' byte-level mode expects it).
/// </summary>
public static class ByteLevel
{
    public static readonly char[] ByteToChar = BuildMap();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, (byte)b)).ToDictionary(p => p.c, p => p.Item2);

    public static byte[] Decode(string mapped)
    {
        var bytes = new byte[mapped.Length];
        for (var i = 0; i < mapped.Length; i++)
        {
            bytes[i] = CharToByte.TryGetValue(mapped[i], out var b)
                ? b
                : throw new TextGenException("the model file's byte-level vocabulary has a character outside the byte map; the file is corrupt.");
        }
        return bytes;
    }

    private static char[] BuildMap()
    {
        var printable = new List<int>();
        for (var c = '!'; c <= '~'; c++) printable.Add(c);
        for (var c = '¡'; c <= '¬'; c++) printable.Add(c);
        for (var c = '®'; c <= 'ÿ'; c++) printable.Add(c);
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[b] = printable.Contains(b) ? (char)b : (char)next++;
        }
        return map;
    }
}

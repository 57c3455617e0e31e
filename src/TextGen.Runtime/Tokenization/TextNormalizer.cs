namespace TextGen.Tokenization;

/// <summary>
/// The one normalisation applied to every text before tokenization (corpus, prefix, evaluation file):
/// a leading byte-order mark is removed and CRLF / lone CR line ends become LF, so Windows files do not
/// put '\r' or U+FEFF into the vocabulary by accident.
/// </summary>
public static class TextNormalizer
{
    public static string Normalize(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        return NormalizeLineEnds(text);
    }

    /// <summary>CRLF and lone CR become LF (for a piece of a text after its first, which alone may start with a BOM).</summary>
    public static string NormalizeLineEnds(string text) =>
        text.Contains('\r') ? text.Replace("\r\n", "\n").Replace('\r', '\n') : text;
}

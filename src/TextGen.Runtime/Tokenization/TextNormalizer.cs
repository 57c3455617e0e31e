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
        return text.Contains('\r') ? text.Replace("\r\n", "\n").Replace('\r', '\n') : text;
    }
}

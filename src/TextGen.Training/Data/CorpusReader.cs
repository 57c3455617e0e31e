using System.Text;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>Reads a UTF-8 text corpus, refusing what is not one, and returns it normalised.</summary>
public static class CorpusReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Read(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "file", "check the path");
        var nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
        {
            throw new TextGenException($"{path} looks like binary data (NUL byte at offset {nul}); pass a UTF-8 text file.");
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 ? $" near byte {e.Index}" : "";
            throw new TextGenException($"{path} is not valid UTF-8{offset}; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8).");
        }
        text = TextNormalizer.Normalize(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new TextGenException($"{path} has no text (it is empty or only whitespace); pass a corpus with some text in it.");
        }
        return text;
    }
}

using System.Text;
using TextGen.Data;

namespace TextGen.Tests.Data;

public class CorpusFileTests
{
    [Fact]
    public void ReadsUtf8AndNormalisesLineEndsAndByteOrderMark()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("c.txt", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("one\r\ntwo 🐋\r\n")]);
        Assert.Equal("one\ntwo 🐋\n", ReadWhole(path));
    }

    [Theory]
    [InlineData("missing", "no such file")]
    [InlineData("dir", "is a directory")]
    [InlineData("empty", "has no text")]
    [InlineData("blank", "has no text")]
    [InlineData("binary", "binary")]
    [InlineData("latin1", "not valid UTF-8")]
    public void RefusesWhatIsNotATextCorpus(string kind, string expected)
    {
        using var dir = new TempDirectory();
        var path = kind switch
        {
            "missing" => dir.File("nope.txt"),
            "dir" => dir.Path,
            "empty" => dir.Write("e.txt", ""),
            "blank" => dir.Write("b.txt", " \n\n\t"),
            "binary" => dir.WriteBytes("x.bin", [0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]),
            _ => dir.WriteBytes("l.txt", Encoding.Latin1.GetBytes("caf\u00e9 cr\u00e8me")),
        };
        var error = Assert.Throws<TextGenException>(() => ReadWhole(path));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    internal static string ReadWhole(string path) => string.Concat(CorpusFile.Open(path).Chunks().Select(c => c.Text));
}

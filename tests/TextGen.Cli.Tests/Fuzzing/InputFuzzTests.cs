using System.Globalization;
using System.Text;
using TextGen.Forecasting;
using TextGen.Tokenization;

namespace TextGen.Tests.Fuzzing;

/// <summary>
/// Every file format a user hands TextGen, generated at random with fixed seeds (a few seconds in the suite; set
/// TEXTGEN_FUZZ_SCALE for longer runs, see docs/fuzzing.md). The only outcomes allowed are success or one
/// <see cref="TextGenException"/>: never another exception, a hang, or an allocation sized by a number in the input.
/// </summary>
public class InputFuzzTests
{
    private static readonly int Rounds = FuzzBudget.Rounds(150);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PriceCsvFiles(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        for (var round = 0; round < Rounds; round++)
        {
            var path = dir.Write($"p{round}.csv", RandomCsv(random));
            Survives(() =>
            {
                var series = PriceCsv.Load(path, random.Next(3) == 0 ? RandomCell(random) : null);
                PreparedSeries.Prepare(series, new SeriesSettings { Window = random.Next(1, 20), Diff = (DiffMode)random.Next(4) }, path);
            }, File.ReadAllText(path));
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void CorpusFiles(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        for (var round = 0; round < Rounds / 3; round++)
        {
            var path = dir.WriteBytes($"c{round}.txt", RandomCorpus(random));
            Survives(() =>
            {
                var text = string.Concat(TextGen.Data.CorpusFile.Open(path).Chunks().Select(c => c.Text));
                var characters = CharTokenizer.Build(text);
                characters.Decode(characters.Encode(text).Ids);
                WordTokenizer.Build(text, new VocabularyOptions { MinCount = 1 }).Encode(text);
                var bpe = ByteLevelBpeTokenizer.Train(text, 300);
                Assert.Equal(text, bpe.Decode(bpe.Encode(text).Ids)); // any string comes back exactly
            }, $"corpus {round}");
        }
    }

    private static void Survives(Action action, string input)
    {
        try
        {
            action();
        }
        catch (TextGenException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message}\ninput:\n{(input.Length > 2000 ? input[..2000] + "..." : input)}");
        }
    }

    private static string RandomCsv(Random random)
    {
        var columns = random.Next(1, 5);
        var header = Enumerable.Range(0, columns).Select(c => c == 0 && random.Next(4) > 0 ? "Date" : RandomCell(random));
        var text = new StringBuilder(string.Join(',', header)).Append('\n');
        var date = new DateTime(2000, 1, 1).AddDays(random.Next(10_000));
        for (int row = 0, rows = random.Next(0, 120); row < rows; row++)
        {
            date = date.AddDays(random.Next(4) == 0 ? 0 : random.Next(1, 40));
            var cells = Enumerable.Range(0, random.Next(4) == 0 ? random.Next(0, 7) : columns).Select(c => c == 0
                ? random.Next(15) == 0 ? RandomCell(random) : date.ToString(random.Next(2) == 0 ? "yyyy-MM-dd" : "MM/dd/yyyy", CultureInfo.InvariantCulture)
                : RandomNumber(random));
            text.Append(string.Join(',', cells)).Append(random.Next(10) == 0 ? "\r\n" : "\n");
            if (random.Next(30) == 0) text.Append(random.Next(2) == 0 ? "\n" : "# comment\n");
        }
        return text.ToString();
    }

    private static string RandomNumber(Random random) => random.Next(12) switch
    {
        0 => "",
        1 => "NaN",
        2 => "1e400",
        3 => "-1e308",
        4 => (random.NextDouble() * 1e200).ToString("R", CultureInfo.InvariantCulture),
        5 => "0",
        6 => "-" + random.Next(1000),
        7 => RandomCell(random),
        _ => (random.NextDouble() * 1000).ToString("R", CultureInfo.InvariantCulture),
    };

    private static string RandomCell(Random random)
    {
        string[] pieces = ["a", "b", "X", "/", "\\", "..", "\"", " ", ",", ";", "#", "é", "😀", "\u0000", "\u200b", "-", "1", "Date"];
        return string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
    }

    private static byte[] RandomCorpus(Random random) => random.Next(5) switch
    {
        // random bytes: mostly not UTF-8
        0 => Enumerable.Range(0, random.Next(1, 5000)).Select(_ => (byte)random.Next(256)).ToArray(),
        // one huge line
        1 => Encoding.UTF8.GetBytes(new string('a', random.Next(100_000, 300_000)) + (random.Next(2) == 0 ? "\n" : "")),
        // scalar values from every plane, surrogates excluded
        2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 3000)).Select(_ => RandomScalar(random)))),
        // line-end soup and whitespace
        3 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 500)).Select(_ => new[] { "\r", "\n", "\r\n", " ", "\t", "x", "\uFEFF" }[random.Next(7)]))),
        // prose with rare characters mixed in
        _ => Encoding.UTF8.GetBytes(Corpora.Prose(2) + string.Concat(Enumerable.Range(0, 50).Select(_ => RandomScalar(random)))),
    };

    private static string RandomScalar(Random random)
    {
        int value;
        do value = random.Next(1, 0x110000); while (value is >= 0xD800 and <= 0xDFFF);
        return char.ConvertFromUtf32(value);
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TextGen.Persistence;

namespace TextGen.Tests.Persistence;

/// <summary>
/// Model files edited on purpose, with the checksum recomputed so that only the header's own checks stand between
/// the edit and an allocation or a crash. The only allowed outcomes are a loaded model or one TextGenException.
/// </summary>
public class CraftedModelFileTests(SharedModel model) : IClassFixture<SharedModel>
{
    [Theory]
    [InlineData("vocabulary_size", 2_000_000_000, "vocabulary size")]
    [InlineData("hidden", 8192, "weights but the file holds")]
    [InlineData("layers", 16, "weights but the file holds")]
    [InlineData("layers", -3, "layers -3 is out of range")]
    [InlineData("embedding", 0, "embedding 0 is out of range")]
    public void AHeaderEditedWithARecomputedChecksumIsRefusedBeforeAnyAllocation(string field, long value, string expected)
    {
        using var dir = new TempDirectory();
        var path = Rewrite(dir, header => header["network"]![field] = value);
        var error = Assert.Throws<TextGenException>(() => TrainableModel.Load(path));
        Assert.Contains(expected, error.Message);
        Assert.Contains("corrupt or was edited", error.Message);
    }

    [Theory]
    [InlineData("null symbols")]
    [InlineData("a null symbol")]
    [InlineData("a repeated symbol")]
    [InlineData("no level")]
    public void ATokenizerEditedIntoNullsOrRepeatsIsRefused(string edit)
    {
        using var dir = new TempDirectory();
        var path = Rewrite(dir, header =>
        {
            var tokenizer = header["tokenizer"]!;
            var symbols = tokenizer["symbols"]!.AsArray();
            switch (edit)
            {
                case "null symbols": tokenizer["symbols"] = null; break;
                case "a null symbol": symbols[1] = null; break;
                case "a repeated symbol": symbols[1] = symbols[0]!.GetValue<string>(); break;
                default: tokenizer["level"] = null; break;
            }
        });
        var error = Assert.Throws<TextGenException>(() => TrainableModel.Load(path));
        Assert.Contains("corrupt", error.Message);
    }

    [Theory]
    [InlineData("a null curve")]
    [InlineData("a null point")]
    [InlineData("NaN seconds")]
    [InlineData("1e300 seconds")]
    public void InfoAndResumeTakeAnEditedTrainingSummary(string edit)
    {
        using var dir = new TempDirectory();
        var path = Rewrite(dir, header =>
        {
            var training = header["training"]!;
            switch (edit)
            {
                case "a null curve": training["history"] = null; break;
                case "a null point": training["history"]!.AsArray().Add(null); break;
                case "NaN seconds": training["seconds"] = "NaN"; break;
                default: training["seconds"] = 1e300; break;
            }
        });
        var info = Cli.CliRunner.Run("info", "-m", path);
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Contains("training   ", info.Output);
        Assert.Equal(0, Cli.CliRunner.Run("info", "-m", path, "--json").ExitCode);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void AnImpossibleSectionCountIsRefused(int count)
    {
        using var dir = new TempDirectory();
        var path = Rewrite(dir, _ => { }, count);
        var error = Assert.Throws<TextGenException>(() => TrainableModel.Load(path));
        Assert.Contains("sections", error.Message);
    }

    [Fact]
    public void RandomByteEditsWithARecomputedChecksumLoadOrFailInOneLine()
    {
        using var dir = new TempDirectory();
        var original = File.ReadAllBytes(model.Path);
        var random = new Random(20261128);
        for (var round = 0; round < Fuzzing.FuzzBudget.Rounds(60); round++)
        {
            var bytes = original[..^32];
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                // Most edits land in the header and the section table, where the numbers that size things live.
                var at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Length, 4096)) : random.Next(bytes.Length);
                bytes[at] = (byte)random.Next(256);
            }
            var path = dir.File($"fuzz{round}.tgm");
            File.WriteAllBytes(path, [.. bytes, .. SHA256.HashData(bytes)]);
            try
            {
                using var loaded = TrainableModel.Load(path);
            }
            catch (TextGenException)
            {
                // what the user sees: one line, exit 1
                var outcome = Cli.CliRunner.Run("eval", "--model", path, model.Path);
                Assert.Equal(1, outcome.ExitCode);
                Assert.Single(outcome.ErrorLine.Split('\n'));
                Assert.StartsWith("textgen: ", outcome.ErrorLine);
            }
        }
    }

    /// <summary>The shared model's file with its JSON header edited (and optionally its section count), checksum recomputed.</summary>
    private string Rewrite(TempDirectory dir, Action<JsonNode> edit, int? sectionCount = null)
    {
        using var reader = new BinaryReader(File.OpenRead(model.Path), Encoding.UTF8);
        var magic = reader.ReadBytes(8);
        var version = reader.ReadInt32();
        var header = JsonNode.Parse(reader.ReadString())!;
        var count = reader.ReadInt32();
        var rest = reader.ReadBytes((int)(reader.BaseStream.Length - reader.BaseStream.Position - 32));
        edit(header);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(magic);
            writer.Write(version);
            writer.Write(header.ToJsonString());
            writer.Write(sectionCount ?? count);
            writer.Write(rest);
        }
        var body = buffer.ToArray();
        var path = dir.File("edited.tgm");
        File.WriteAllBytes(path, [.. body, .. SHA256.HashData(body)]);
        return path;
    }
}

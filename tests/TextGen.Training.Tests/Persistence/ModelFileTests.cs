using TextGen.Persistence;
using static TorchSharp.torch;

namespace TextGen.Tests.Persistence;

public class ModelFileTests
{
    [Fact]
    public void SaveThenLoadGivesIdenticalOutputs()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.Train(SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(5)), dir.File("m.tgm"), epochs: 2));
        using var original = TrainableModel.Load(result.ModelPath);
        original.Save(dir.File("copy.tgm"));
        using var copy = TrainableModel.Load(dir.File("copy.tgm"));

        using var input = tensor(original.Tokenizer.Encode("Call me Ishmael").Ids.Select(i => (long)i).ToArray(), new long[] { 1, 15 });
        using var noGrad = no_grad();
        var (a, stateA) = original.Network.call(input, null);
        var (b, stateB) = copy.Network.call(input, null);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        Assert.Equal(original.Metadata.Network, copy.Metadata.Network);
        Assert.Equal(original.Tokenizer.Describe().Symbols, copy.Tokenizer.Describe().Symbols);
        stateA.Dispose();
        stateB.Dispose();
    }

    [Theory]
    [InlineData("truncated", "truncated or corrupt")]
    [InlineData("flipped", "truncated or corrupt")]
    [InlineData("future", "newer TextGen")]
    [InlineData("foreign", "not a TextGen model file")]
    [InlineData("empty", "not a TextGen model file")]
    [InlineData("missing", "no such model file")]
    public void RefusesFilesItCannotTrust(string damage, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.tgm");
        var header = new { hello = 1 };
        ModelFile.Write(path, header, AnyHeader.Json(header), new Dictionary<string, byte[]> { ["weights"] = new byte[1000] });
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "flipped": bytes[bytes.Length / 2] ^= 0x40; File.WriteAllBytes(path, bytes); break;
            case "future": bytes[8] = 99; File.WriteAllBytes(path, bytes); break;
            case "foreign": File.WriteAllText(path, "{\"this is\": \"json\"}"); break;
            case "empty": File.WriteAllBytes(path, []); break;
            case "missing": File.Delete(path); break;
        }
        var error = Assert.Throws<TextGenException>(() => TrainableModel.Load(path));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AFailedWriteLeavesNeitherTempFileNorPartialFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.tgm");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100]);
            throw new InvalidOperationException("disk full, say");
        }));
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void AWriteReplacesTheOldFileWhole()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("f.bin", "old");
        AtomicFile.Write(path, stream => stream.Write("new"u8));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["f.bin"], dir.Files());
    }
}

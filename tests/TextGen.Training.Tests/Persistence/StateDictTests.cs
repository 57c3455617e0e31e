using System.Text;
using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Tests.Persistence;

/// <summary>The managed reader of the weights section: it reads what TorchSharp writes, and nothing in it sizes an allocation unchecked.</summary>
public class StateDictTests
{
    [Theory]
    [InlineData(CellType.Lstm, false)]
    [InlineData(CellType.Gru, true)]
    [InlineData(CellType.Rnn, false)]
    public void ReadsAndWritesWhatTorchSharpWritesNameForNameAndValueForValue(CellType cell, bool oneHot)
    {
        var config = new RecurrentNetConfig { Cell = cell, Layers = 2, Hidden = 12, Embedding = 5, OneHot = oneHot, VocabularySize = 9 };
        TorchSharp.torch.manual_seed(3);
        using var network = new LanguageNetwork(config);
        var own = ModuleWeights.ToStateDict(network);
        Assert.Equal(TorchSharpBytes(network), StateDict.Write(own)); // the writer is TorchSharp's format, byte for byte
        var read = StateDict.Read(TorchSharpBytes(network), "m.tgm");
        Assert.Equal(own.Keys.Order(), read.Keys.Order());
        foreach (var (name, tensor) in own)
        {
            Assert.Equal(tensor.Shape, read[name].Shape);
            Assert.Equal(tensor.Values, read[name].Values);
        }
        // The runtime's names for the LanguageNetwork module's tensors are exactly the module's own.
        Assert.Equal(own.Keys.Order(), LanguageModelWeights.ExpectedShapes(config).Keys.Order());
        Assert.Equal(own.Keys.Order(), LanguageModelWeights.From(read, config, "m.tgm").ToStateDict().Keys.Order());
    }

    private static byte[] TorchSharpBytes(TorchSharp.torch.nn.Module module)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) module.save(writer);
        return buffer.ToArray();
    }

    public static TheoryData<string, byte[], string> Crafted => new()
    {
        { "a shape of 2^40 x 2^40", Section(Tensor("w", 6, [1L << 40, 1L << 40], 0)), "claims more values" },
        { "a shape whose product overflows", Section(Tensor("w", 6, [1L << 62, 4, 1L << 62], 0)), "claims more values" },
        { "float64 values", Section(Tensor("w", 7, [2], 16)), "not float32" },
        { "rank 1000", Section(Tensor("w", 6, new long[1000], 0)), "rank 1000" },
        { "a count of 2^62", Leb(1L << 62), "tensors" },
        { "a name longer than the section", [1, 0xFF, 0xFF, 0x03, (byte)'a'], "tensor name" },
        { "invalid UTF-8 in a name", [1, 2, 0xC3, 0x28, 6, 0], "unreadable" },
        { "a tensor twice", Section(Tensor("w", 6, [1], 4), Tensor("w", 6, [1], 4)), "twice" },
        { "bytes after the last tensor", [.. Section(Tensor("w", 6, [1], 4)), 0], "after the last tensor" },
        { "a truncated tensor", Section(Tensor("w", 6, [4], 4)), "claims more values" },
        { "a number of ten bytes", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "63 bits" },
        { "nothing", [], "ends early" },
    };

    [Theory]
    [MemberData(nameof(Crafted))]
    public void ACraftedSectionIsRefusedInOneLineBeforeAnyAllocation(string what, byte[] bytes, string expected)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<TextGenException>(() => StateDict.Read(bytes, "m.tgm"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, $"{what}: allocated {GC.GetAllocatedBytesForCurrentThread() - before:N0} bytes");
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("m.tgm: its weights are unreadable", error.Message);
    }

    [Fact]
    public void RandomEditsOfARealSectionReadOrFailInOneLine()
    {
        var config = new RecurrentNetConfig { Cell = CellType.Lstm, Layers = 2, Hidden = 8, Embedding = 4, VocabularySize = 7 };
        using var network = new LanguageNetwork(config);
        var original = ModuleWeights.ToBytes(network);
        var random = new Random(20261128);
        for (var round = 0; round < Fuzzing.FuzzBudget.Rounds(2000); round++)
        {
            var bytes = original[..random.Next(original.Length + 1)];
            for (var edits = random.Next(0, 4); edits > 0 && bytes.Length > 0; edits--)
            {
                bytes[random.Next(Math.Min(bytes.Length, 200))] = (byte)random.Next(256); // where the names and shapes are
            }
            try
            {
                var read = StateDict.Read(bytes, "m.tgm");
                try
                {
                    LanguageModelWeights.From(read, config, "m.tgm");
                }
                catch (TextGenException e)
                {
                    Assert.Contains("corrupt", e.Message);
                }
            }
            catch (TextGenException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }

    private static byte[] Leb(long value)
    {
        var bytes = new List<byte>();
        do
        {
            var low = (byte)(value & 0x7F);
            value >>>= 7;
            bytes.Add(value == 0 ? low : (byte)(low | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private static byte[] Tensor(string name, long dtype, long[] shape, int valueBytes)
    {
        var name8 = Encoding.UTF8.GetBytes(name);
        return [(byte)name8.Length, .. name8, .. Leb(dtype), .. Leb(shape.Length), .. shape.SelectMany(Leb), .. new byte[valueBytes]];
    }

    private static byte[] Section(params byte[][] tensors) => [.. Leb(tensors.Length), .. tensors.SelectMany(t => t)];
}

using TextGen.Tokenization;
using static TorchSharp.torch;

namespace TextGen.Tests.Tokenization;

public class SequenceTensorsTests
{
    private static readonly int[][] Sequences = [[0, 1, 2], [2, 2, 0]];

    [Fact]
    public void IndicesAreShapedSequencesByTimesteps()
    {
        using var indices = SequenceTensors.Indices(Sequences);
        Assert.Equal([2L, 3], indices.shape);
        Assert.Equal(ScalarType.Int64, indices.dtype);
        Assert.Equal(2L, indices[1, 0].item<long>());
    }

    [Fact]
    public void OneHotIsShapedSequencesByTimestepsByFeatures()
    {
        using var hot = SequenceTensors.OneHot(Sequences, vocabularySize: 4);
        Assert.Equal([2L, 3, 4], hot.shape);
        Assert.Equal(ScalarType.Float32, hot.dtype);
        Assert.Equal([0f, 0, 1, 0], hot[0, 2].data<float>().ToArray());
        Assert.Equal(6f, hot.sum().item<float>());
    }

    [Fact]
    public void RaggedSequencesAreRefused() =>
        Assert.Throws<ArgumentException>(() => SequenceTensors.Indices([[0, 1], [1]]));
}

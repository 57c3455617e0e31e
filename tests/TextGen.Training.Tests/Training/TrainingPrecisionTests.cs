using TextGen.Benchmarking;
using TextGen.Modeling;
using TextGen.Settings;
using TextGen.Training;
using static TorchSharp.torch;

namespace TextGen.Tests.Training;

public class TrainingPrecisionTests
{
    [Theory]
    [InlineData("auto", null)]
    [InlineData("FP32", TrainingPrecision.Fp32)]
    [InlineData(" bf16 ", TrainingPrecision.Bf16)]
    public void ParsesTheNames(string text, TrainingPrecision? expected) =>
        Assert.Equal(expected, Declared<TrainingOptions>.Named("precision").ParseChoice(text));

    [Fact]
    public void RefusesOtherNamesInOneLine()
    {
        var error = Assert.Throws<SettingException>(() => Declared<TrainingOptions>.Named("precision").ParseChoice("fp16"));
        Assert.Equal("precision fp16 is not one of auto, fp32 or bf16.", error.Message);
    }

    [Fact]
    public void Bf16IsRefusedForRnnLayersAndAutoGivesThemFp32()
    {
        var error = Assert.Throws<SettingException>(() => TrainingPrecisions.Resolve(TrainingPrecision.Bf16, CellType.Rnn));
        Assert.Contains("--precision fp32", error.Message);
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(null, CellType.Rnn));
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(TrainingPrecision.Fp32, CellType.Rnn));
    }

    [Fact]
    public void AutoTakesBf16ForLstmOnlyOnACpuWithBf16Instructions()
    {
        Assert.Equal(TrainingPrecision.Bf16, TrainingPrecisions.Resolve(null, CellType.Lstm, cpuHasBf16: true));
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(null, CellType.Lstm, cpuHasBf16: false));
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(TrainingPrecision.Fp32, CellType.Lstm, cpuHasBf16: true));
        var error = Assert.Throws<SettingException>(() => TrainingPrecisions.Resolve(TrainingPrecision.Bf16, CellType.Lstm, cpuHasBf16: false));
        Assert.Contains("needs a CPU with bf16 instructions", error.Message);
        Assert.Equal(CpuFeatures.HasBf16 ? [TrainingPrecision.Fp32, TrainingPrecision.Bf16] : [TrainingPrecision.Fp32], TrainingPrecisions.Available(CellType.Lstm));
        Assert.Equal(TrainingPrecisions.Available(CellType.Lstm), TrainingPrecisions.Available(CellType.Gru));
        Assert.Equal([TrainingPrecision.Fp32], TrainingPrecisions.Available(CellType.Rnn));
        Assert.Equal(TrainingPrecision.Bf16, TrainingPrecisions.Resolve(null, CellType.Gru, cpuHasBf16: true));
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(null, CellType.Gru, cpuHasBf16: false));
        Assert.Equal(TrainingPrecision.Fp32, TrainingPrecisions.Resolve(TrainingPrecision.Fp32, CellType.Gru, cpuHasBf16: true));
    }

    [Fact]
    public void AnImpossiblePrecisionIsRefusedBeforeTheCorpusIsRead()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.File("missing.txt"), dir.File("m.tgm"), CellType.Rnn);
        var error = Assert.Throws<SettingException>(() => TrainingSession.Prepare(request with { Training = request.Training with { Precision = TrainingPrecision.Bf16 } }));
        Assert.Equal("precision", error.Setting);
    }

    [Fact]
    public void Bf16ProductsLearnAsFp32Does()
    {
        // On any CPU: without bf16 instructions libtorch computes the same rounded products, only slower.
        TextGen.Native.TorchRuntime.EnsureLoaded();
        var config = new RecurrentNetConfig { Layers = 2, Hidden = 32, Embedding = 8, Dropout = 0, VocabularySize = 5 };
        var period = tensor(Enumerable.Range(0, 8 * 33).Select(i => (long)(i * i % 7 % 5)).ToArray()).view(8, 33);
        float Train(bool bf16)
        {
            manual_seed(1);
            using var model = new LanguageNetwork(config);
            model.Recurrent.Bf16Products = bf16;
            using var optimizer = optim.Adam(model.parameters(), 0.02);
            var loss = float.NaN;
            for (var step = 0; step < 150; step++)
            {
                using var scope = NewDisposeScope();
                var (logits, _) = model.call(period[.., ..32], null);
                var crossEntropy = nn.functional.cross_entropy(logits.reshape(-1, 5), period[.., 1..].reshape(-1));
                optimizer.zero_grad();
                crossEntropy.backward();
                optimizer.step();
                loss = crossEntropy.item<float>();
            }
            return loss;
        }

        var fp32 = Train(bf16: false);
        var bf16 = Train(bf16: true);
        Assert.True(fp32 < 0.05, $"fp32 reached {fp32}");
        Assert.True(bf16 < 0.05, $"bf16 reached {bf16}");
        Assert.NotEqual(fp32, bf16); // the rounded products took another path
    }
}

using TextGen.Modeling;
using TextGen.Training;

namespace TextGen.Tests;

/// <summary>
/// Trains tiny models quickly for the tests that need a trained one, with fixed settings of their own (not the tuned
/// defaults), in fp32 on every CPU (the default precision depends on the CPU; bf16 training has tests of its own).
/// </summary>
public static class SmallModels
{
    public static TrainRequest Request(string corpusPath, string outputPath, CellType cell = CellType.Lstm, int epochs = 30, int seed = 7) => new()
    {
        Corpora = [corpusPath],
        OutputPath = outputPath,
        Network = new RecurrentNetConfig { Cell = cell, Layers = 1, Hidden = 32, Embedding = 8, Dropout = 0 },
        Training = new TrainingOptions { BatchSize = 8, SequenceLength = 16, LearningRate = 1e-2, Beta1 = 0.9, Epochs = epochs, Seed = seed, Precision = TrainingPrecision.Fp32 },
    };

    public static TrainingResult Train(TrainRequest request)
    {
        using var session = TrainingSession.Prepare(request);
        return session.Run();
    }

    /// <summary>A periodic corpus learned to near-zero loss, saved at <paramref name="outputPath"/>.</summary>
    public static TrainingResult TrainPeriodic(TempDirectory dir, string outputPath, CellType cell = CellType.Lstm, int seed = 7) =>
        Train(Request(dir.Write("periodic.txt", Corpora.Periodic()), outputPath, cell, seed: seed));
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TextGen.Benchmarking;
using TextGen.Forecasting;
using TextGen.Training;

namespace TextGen.Cli;

/// <summary>Writes the one JSON object a command prints with --json, through the source-generated <see cref="CliJson"/>.</summary>
public static class JsonOutput
{
    public static void Write<T>(TextWriter output, T value, JsonTypeInfo<T> shape) => output.WriteLine(JsonSerializer.Serialize(value, shape));

    /// <summary>JSON has no NaN or infinity; a number that is not finite is written as null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

// What each command prints with --json. Property names become snake_case (val_loss).

public sealed record TrainOutput(string Model, double? ValLoss, double? TrainLoss, long Steps, double Epochs, double TokensPerSecond, long Parameters,
    string Cell, int Layers, int Hidden, double Seconds, double? FirstStepSeconds, bool TokensFromCache, long Seed, string? Precision, bool Interrupted, string Sample,
    IReadOnlyList<TrainingSample> Samples, IReadOnlyList<string> KeptModels)
{
    /// <summary>Processes that trained together under mpirun (1 alone), and what their gradient all-reduces cost rank 0.</summary>
    public int Ranks { get; init; } = 1;
    public long AllreduceBytesPerStep { get; init; }
    public double AllreduceSeconds { get; init; }
}

public sealed record SampleOutput(IReadOnlyList<string> Samples);

public sealed record EvalOutput(double Loss, double BitsPerToken, double Perplexity, long Tokens, long Unknown);

public sealed record Neighbour(string Token, double Cosine);

public sealed record NearestOutput(string Token, IReadOnlyList<Neighbour> Nearest);

public sealed record SetupOutput(string Libtorch, string? Libstdcxx, string MklVendor, string Cache);

public sealed record SkippedCells(int BlankRows, int EmptyCells, int NonNumericCells);

public sealed record WindowCounts(int Train, int Validation, int Test);

/// <summary>A forecast report without the plot's trace.</summary>
public sealed record ForecastScores(ForecastMetrics Model, ForecastMetrics Naive, ForecastMetrics Drift, ForecastMetrics MovingAverage, int TestPoints)
{
    public static ForecastScores Of(ForecastReport r) => new(r.Model, r.Naive, r.Drift, r.MovingAverage, r.TestPoints);
}

public sealed record ForecastTrainOutput(string Model, string Column, int Rows, SkippedCells Skipped, WindowCounts Windows, int Epochs, int BestEpoch, double? ValLoss, ForecastScores Test);

public sealed record ForecastPoint(string Date, double Price);

public sealed record ForecastOutput(string Column, IReadOnlyList<ForecastPoint> Forecast);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TrainOutput))]
[JsonSerializable(typeof(IReadOnlyList<TextGen.Benchmarking.AllreduceTiming>))]
[JsonSerializable(typeof(SampleOutput))]
[JsonSerializable(typeof(EvalOutput))]
[JsonSerializable(typeof(NearestOutput))]
[JsonSerializable(typeof(SetupOutput))]
[JsonSerializable(typeof(ForecastTrainOutput))]
[JsonSerializable(typeof(ForecastScores))]
[JsonSerializable(typeof(ForecastOutput))]
[JsonSerializable(typeof(BenchmarkReport))]
public sealed partial class CliJson : JsonSerializerContext;

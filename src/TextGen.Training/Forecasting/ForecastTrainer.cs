using System.Diagnostics;
using TextGen.Modeling;
using TextGen.Persistence;
using static TorchSharp.torch;

namespace TextGen.Forecasting;

/// <summary>
/// Trains a <see cref="ForecastNetwork"/> on the training windows of a prepared series: shuffled mini-batches (windows
/// are shuffled, time inside a window is not), MSE, Adam, gradient clipping; stops early when validation MSE has not
/// improved for <see cref="ForecastTrainingOptions.Patience"/> epochs and keeps the best epoch's weights.
/// </summary>
public static class ForecastTrainer
{
    public static ForecastModel Train(PreparedSeries data, ForecastNetConfig config, ForecastTrainingOptions options, string source,
        IProgress<EpochRecord>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        config = config with { Horizon = data.Settings.Horizon };
        manual_seed(options.Seed);
        var random = new Random(unchecked((int)options.Seed));
        var network = new ForecastNetwork(config);
        var parameters = network.parameters().ToArray();
        using var optimizer = new Training.Adam(parameters, options.LearningRate);

        var window = data.Settings.Window;
        var horizon = data.Settings.Horizon;
        var (valInputs, valTargets) = SeriesWindows.Make(data.Scaled, window, horizon, data.ValSamples);
        var order = data.TrainSamples.ToArray();
        var history = new List<EpochRecord>();
        var best = (Loss: double.PositiveInfinity, Epoch: 0, Weights: Array.Empty<byte>());
        var clock = Stopwatch.StartNew();

        for (var epoch = 1; epoch <= options.Epochs && !cancel.IsCancellationRequested; epoch++)
        {
            random.Shuffle(order);
            var trainLoss = TrainEpoch(network, optimizer, parameters, data, order, options.BatchSize);
            var (valLoss, valMae) = Score(network, valInputs, valTargets, data.ValSamples.Length, window, horizon);
            var record = new EpochRecord(epoch, trainLoss, valLoss, valMae);
            history.Add(record);
            progress?.Report(record);
            if (valLoss < best.Loss)
            {
                best = (valLoss, epoch, ModuleWeights.ToBytes(network));
            }
            if (epoch - best.Epoch >= options.Patience || options.MaxTime is { } max && clock.Elapsed >= max)
            {
                break;
            }
        }
        if (best.Weights.Length > 0)
        {
            ModuleWeights.Load(network, best.Weights, "the best epoch");
        }
        network.eval();
        var (tailPrices, tailDates) = Tail(data);
        return new ForecastModel(network, new ForecastMetadata
        {
            Source = source,
            Column = data.Series.Column,
            DateColumn = data.Series.DateColumn,
            Settings = data.Settings,
            Scaler = data.Scaler,
            Network = config,
            History = history,
            BestEpoch = best.Epoch,
            TailPrices = tailPrices,
            TailDates = tailDates,
            Seed = options.Seed,
        });
    }

    /// <summary>One pass over the training windows in <paramref name="order"/>; the mean training loss.</summary>
    private static double TrainEpoch(ForecastNetwork network, Training.Adam optimizer, TorchSharp.Modules.Parameter[] parameters, PreparedSeries data, int[] order, int batchSize)
    {
        network.train();
        var (window, horizon) = (data.Settings.Window, data.Settings.Horizon);
        double trainSum = 0;
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var (inputs, targets) = SeriesWindows.Make(data.Scaled, window, horizon, batch);
            using var scope = NewDisposeScope();
            var prediction = network.call(tensor(inputs, new long[] { batch.Length, window, 1 }));
            var loss = nn.functional.mse_loss(prediction, tensor(targets, new long[] { batch.Length, horizon }));
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            trainSum += loss.item<float>() * batch.Length;
        }
        return trainSum / order.Length;
    }

    /// <summary>The end of the series a model keeps to forecast from: one window, plus the price differencing needs before it.</summary>
    internal static (double[] Prices, DateTime[] Dates) Tail(PreparedSeries data)
    {
        var tail = Math.Min(data.Series.Count, data.Settings.Window + Differencing.Lag(data.Settings.Diff));
        return (data.Series.Values.Skip(data.Series.Count - tail).ToArray(), data.Series.Dates.Skip(data.Series.Count - tail).ToArray());
    }

    private static (double Mse, double Mae) Score(ForecastNetwork network, float[] inputs, float[] targets, int count, int window, int horizon)
    {
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var prediction = network.call(tensor(inputs, new long[] { count, window, 1 }));
        var expected = tensor(targets, new long[] { count, horizon });
        return (nn.functional.mse_loss(prediction, expected).item<float>(), nn.functional.l1_loss(prediction, expected).item<float>());
    }
}

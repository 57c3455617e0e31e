using System.Diagnostics;
using TextGen.Data;
using TextGen.Modeling;
using TextGen.Persistence;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>What the loop trains on: its batches, and how to score the validation part.</summary>
public sealed record TrainingData(ITrainingBatches Batches, int ValidationTokens, Func<LanguageModel, Evaluator.Loss> Evaluate);

/// <summary>
/// The training loop: next-token cross-entropy with truncated back-propagation through time, Adam, gradient-norm
/// clipping and a warm-up + cosine schedule. Evaluates the weights' moving average (<see cref="WeightAverage"/>) on
/// the whole validation part at regular steps, saves the best such model, and checkpoints for <c>--resume</c>.
/// Stops at the budget or on cancellation, keeping the best model.
/// </summary>
public sealed class Trainer
{
    private readonly TrainedModel _model;
    private readonly TrainingData _data;
    private readonly TrainingOptions _options;
    private readonly string _corpusName;
    private readonly string _outputPath;
    private readonly string _checkpointPath;
    private readonly SavedTraining? _resume;

    public Trainer(TrainedModel model, TrainingData data, TrainingOptions options, string corpusName, string outputPath,
        SavedTraining? resume = null)
    {
        _model = model;
        _data = data;
        _options = options;
        _corpusName = corpusName;
        _outputPath = outputPath;
        _checkpointPath = Checkpoint.PathFor(outputPath);
        _resume = resume;
    }

    /// <summary>
    /// Steps between evaluations: scoring a token costs about a third of training on it, so evaluating after ~13x the
    /// validation size in training tokens keeps evaluation (and the saves after it) near 2.5% of the time; at least
    /// once an epoch.
    /// </summary>
    public static int EvaluationInterval(ITrainingBatches batcher, int validationTokens) =>
        Math.Clamp((int)Math.Ceiling(validationTokens * 40.0 / 3 / batcher.TokensPerStep), 1, batcher.StepsPerEpoch);

    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var network = _model.Network;
        var vocabulary = network.Config.VocabularySize;
        var batcher = _data.Batches;
        var parameters = network.parameters().Where(p => p.requires_grad).ToArray(); // frozen embeddings stay as they are
        using var optimizer = optim.Adam(parameters, _options.LearningRate, beta1: _options.Beta1);

        long step = 0;
        double elapsedBefore = 0, best = double.PositiveInfinity, trainLoss = double.NaN;
        if (_resume is { } resume)
        {
            ModuleWeights.Load(network, resume.Weights, _checkpointPath);
            Checkpoint.RestoreOptimizer(optimizer, resume.Optimizer, _checkpointPath);
            step = resume.State.Step;
            elapsedBefore = resume.State.ElapsedSeconds;
            best = resume.State.BestValLoss;
            trainLoss = resume.State.TrainLoss;
        }
        using var average = new WeightAverage(parameters, step);
        if (_resume?.Average is { } averaged)
        {
            average.Load(network, averaged, _checkpointPath);
        }

        var evalEvery = EvaluationInterval(batcher, _data.ValidationTokens);
        long? totalSteps = _options.Epochs is { } epochs ? (long)epochs * batcher.StepsPerEpoch : null;
        var wall = Stopwatch.StartNew();
        var evalClock = new Stopwatch();
        var inputs = new long[batcher.TokensPerStep];
        var targets = new long[batcher.TokensPerStep];
        var shape = new long[] { batcher.BatchSize, batcher.SequenceLength };
        long stepsThisRun = 0;
        double lossSum = 0;
        var lossCount = 0;
        var lastEvaluated = step;
        RecurrentState? state = null;

        double Elapsed() => elapsedBefore + wall.Elapsed.TotalSeconds;
        double Fraction() => Math.Max(
            totalSteps is { } total ? step / (double)total : 0,
            _options.MaxTime is { } max ? Elapsed() / max.TotalSeconds : 0);
        // Everything but evaluation counts: batching, the step, metrics, progress reports, saving, checkpoints.
        double TrainSeconds() => (wall.Elapsed - evalClock.Elapsed).TotalSeconds;
        double TokensPerSecond() => stepsThisRun == 0 ? 0 : stepsThisRun * batcher.TokensPerStep / TrainSeconds();

        TrainingProgress Evaluate()
        {
            if (lossCount > 0)
            {
                trainLoss = lossSum / lossCount;
                lossSum = 0;
                lossCount = 0;
            }
            evalClock.Start();
            double loss;
            bool improved;
            using (average.Apply())
            {
                loss = _data.Evaluate(network).MeanNats;
                evalClock.Stop();
                lastEvaluated = step;
                improved = loss < best;
                if (improved)
                {
                    best = loss;
                    _model.WithTraining(Summary(step, batcher, trainLoss, loss, TokensPerSecond(), Elapsed())).Save(_outputPath);
                }
            }
            SaveCheckpoint(network, optimizer, average, step, Elapsed(), best, trainLoss);
            return Report(step, batcher, Fraction(), trainLoss, TokensPerSecond(), Elapsed(), LearningRateSchedule.At(_options.LearningRate, step, Fraction())) with
            {
                Evaluated = true,
                ValLoss = loss,
                BestValLoss = best,
                Improved = improved,
            };
        }

        try
        {
            while (!cancel.IsCancellationRequested && Fraction() < 1)
            {
                var inEpoch = (int)(step % batcher.StepsPerEpoch);
                if (inEpoch == 0 || !batcher.CarriesState)
                {
                    state?.Dispose();
                    state = null;
                }
                batcher.Fill(step / batcher.StepsPerEpoch, inEpoch, inputs, targets);
                var learningRate = LearningRateSchedule.At(_options.LearningRate, step, Fraction());
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = learningRate;
                }

                float stepLoss;
                using (NewDisposeScope())
                {
                    var (logits, next) = network.call(tensor(inputs, shape), state);
                    var loss = nn.functional.cross_entropy(logits.reshape(-1, vocabulary), tensor(targets));
                    optimizer.zero_grad();
                    loss.backward();
                    nn.utils.clip_grad_norm_(parameters, _options.GradientClip);
                    optimizer.step();
                    average.Update();
                    stepLoss = loss.item<float>();
                    state?.Dispose();
                    state = batcher.CarriesState ? next.Detach().MoveToOuterDisposeScope() : null;
                }
                step++;
                stepsThisRun++;
                if (!float.IsFinite(stepLoss))
                {
                    throw new TextGenException($"training diverged at step {step} (loss is {stepLoss}); lower --learning-rate or --clip.");
                }
                lossSum += stepLoss;
                lossCount++;

                // Evaluate whether or not anyone listens: `progress?.Report(Evaluate())` would skip it.
                var report = step % evalEvery == 0
                    ? Evaluate()
                    : Report(step, batcher, Fraction(), lossSum / lossCount, TokensPerSecond(), Elapsed(), learningRate);
                progress?.Report(report);
            }
            if (lastEvaluated != step || !File.Exists(_outputPath))
            {
                var final = Evaluate();
                progress?.Report(final);
            }
        }
        finally
        {
            state?.Dispose();
        }

        var summary = Summary(step, batcher, trainLoss, best, TokensPerSecond(), wall.Elapsed.TotalSeconds);
        return new TrainingResult(_outputPath, summary, network.ParameterCount, cancel.IsCancellationRequested);
    }

    private TrainingSummary Summary(long step, ITrainingBatches batcher, double trainLoss, double valLoss, double tokensPerSecond, double seconds) => new()
    {
        Corpus = _corpusName,
        Steps = step,
        Epochs = step / (double)batcher.StepsPerEpoch,
        TrainLoss = trainLoss,
        ValLoss = valLoss,
        TokensPerSecond = tokensPerSecond,
        Seconds = seconds,
        BatchSize = batcher.BatchSize,
        SequenceLength = batcher.SequenceLength,
        LearningRate = _options.LearningRate,
        Seed = _options.Seed,
    };

    private static TrainingProgress Report(long step, ITrainingBatches batcher, double fraction, double trainLoss, double tokensPerSecond, double elapsed, double learningRate) => new()
    {
        Step = step,
        Epoch = step / (double)batcher.StepsPerEpoch,
        Fraction = Math.Clamp(fraction, 0, 1),
        TrainLoss = trainLoss,
        TokensPerSecond = tokensPerSecond,
        LearningRate = learningRate,
        Elapsed = TimeSpan.FromSeconds(elapsed),
    };

    private void SaveCheckpoint(LanguageModel network, Adam optimizer, WeightAverage average, long step, double elapsed, double best, double trainLoss) =>
        new Checkpoint
        {
            Model = _model.Metadata,
            Step = step,
            ElapsedSeconds = elapsed,
            BestValLoss = best,
            TrainLoss = trainLoss,
        }.Save(_checkpointPath, network, optimizer, average);
}

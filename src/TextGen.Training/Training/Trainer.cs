using System.Diagnostics;
using TextGen.Data;
using TextGen.Distributed;
using TextGen.Generation;
using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>What the loop trains on: its batches, and how to score the validation part.</summary>
public sealed record TrainingData(ITrainingBatches Batches, long ValidationTokens, Func<LanguageNetwork, Evaluator.Loss> Evaluate)
{
    /// <summary>Tokens held out for validation; <see cref="ValidationTokens"/> of them are scored during training (TokenSplit.ValidationSample).</summary>
    public long HeldOutTokens { get; init; }

    /// <summary>Held-out streams the finished model is scored on in fp32 and int8 (<see cref="PrecisionChoice.Measure"/>).</summary>
    public IReadOnlyList<int[]> PrecisionProbe { get; init; } = [];

    /// <summary>Up to <see cref="PrecisionChoice.Streams"/> streams of <see cref="PrecisionChoice.StreamLength"/> tokens, cut from the held-out texts in turn.</summary>
    public static IReadOnlyList<int[]> ProbeStreams(IEnumerable<int[]> heldOut)
    {
        var streams = new List<int[]>();
        foreach (var text in heldOut)
        {
            if (streams.Count >= PrecisionChoice.Streams) break;
            for (var start = 0; start + 2 <= text.Length && streams.Count < PrecisionChoice.Streams; start += PrecisionChoice.StreamLength)
            {
                streams.Add(text[start..Math.Min(text.Length, start + PrecisionChoice.StreamLength)]);
            }
        }
        return streams;
    }
}

/// <summary>
/// The training loop: next-token cross-entropy with truncated back-propagation through time, Adam, gradient-norm
/// clipping and a warm-up + cosine schedule. Evaluates the weights' moving average (<see cref="WeightAverage"/>) on
/// the validation part (a fixed sample of a large one: TokenSplit.ValidationSample) at regular steps, saves the best such model, and checkpoints for <c>--resume</c>.
/// Stops at the budget or on cancellation, keeping the best model. Under mpirun every rank runs this loop on its rows of
/// each batch, their gradients summed after each step (<see cref="GradientExchange"/>, <see cref="StepAgreement"/>);
/// rank 0 alone evaluates and saves.
/// </summary>
public sealed class Trainer
{
    private readonly TrainableModel _model;
    private readonly TrainingData _data;
    private readonly TrainingOptions _options;
    private readonly string _corpusName;
    private readonly string _outputPath;
    private readonly string _checkpointPath;
    private readonly SavedTraining? _resume;
    private readonly Stopwatch _commandClock;
    private readonly double _preparationSeconds;
    private readonly TrainingRanks _ranks;

    /// <param name="ranks">The processes training this model together; null: this one alone.</param>
    /// <param name="commandClock">Started when the command began (reading and tokenizing included): --max-time is its wall clock.</param>
    public Trainer(TrainableModel model, TrainingData data, TrainingOptions options, string corpusName, string outputPath,
        SavedTraining? resume = null, Stopwatch? commandClock = null, TrainingRanks? ranks = null)
    {
        _ranks = ranks ?? TrainingRanks.Single;
        _commandClock = commandClock ?? Stopwatch.StartNew();
        _preparationSeconds = _commandClock.Elapsed.TotalSeconds;
        _model = model;
        _data = data;
        _options = options;
        _corpusName = corpusName;
        _outputPath = outputPath;
        _checkpointPath = Checkpoint.PathFor(outputPath);
        _resume = resume;
    }

    /// <summary>
    /// Steps between evaluations: enough training tokens per evaluation (a multiple of the validation size, weighted by
    /// what scoring costs against training) that evaluating and the saves after it take a small share of the time; at
    /// least once an epoch.
    /// </summary>
    /// <remarks>
    /// Under mpirun the tokens are one rank's: rank 0 evaluates alone while the others wait, so evaluations come as often
    /// in time as for one process, not as often in tokens, which would multiply their share of the time by the ranks.
    /// </remarks>
    public static int EvaluationInterval(ITrainingBatches batcher, long validationTokens) =>
        Math.Clamp((int)Math.Ceiling(validationTokens * 40.0 / TrainingCostOfScoring / batcher.TokensPerStep), 1, batcher.StepsPerEpoch);

    /// <summary>Training on a token takes about three times as long as scoring one (measured).</summary>
    private const double TrainingCostOfScoring = 3;

    /// <summary>Trains until the budget is used or <paramref name="cancel"/> fires; the best model is saved on the way.</summary>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        using var run = new RunState(this, cancel);
        double? firstStep = null;
        while (!run.Stopping && run.Fraction < 1)
        {
            run.TrainOneStep();
            firstStep ??= _commandClock.Elapsed.TotalSeconds;
            // Evaluate whether or not anyone listens: `progress?.Report(run.Evaluate())` would skip it.
            var report = run.EvaluationDue ? run.EvaluateSaveAndCheckpoint() : run.Progress();
            progress?.Report(report);
        }
        var stopped = cancel.IsCancellationRequested || run.Stopping; // a signal here, or on another rank
        if (!_ranks.IsLeader) return run.Result(stopped, run.Summary());
        if (!run.EvaluatedThisStep || !File.Exists(_outputPath))
        {
            // Stopped by a signal: the checkpoint first, in case the final evaluation outlasts the grace period.
            if (stopped) run.SaveCheckpoint();
            progress?.Report(run.EvaluateSaveAndCheckpoint());
        }
        var summary = run.Summary();
        // The model file holds the best weights with the summary of when they were saved; its curve is the whole run's.
        string? warning = summary.Steps == 0 && !cancel.IsCancellationRequested
            ? $"--max-time was used up before the first training step (reading and tokenizing the corpus took {_preparationSeconds:F0} s; " +
              "its tokens are cached now, so the next run starts in seconds): the saved model is untrained. Run again, or give a longer --max-time."
            : null;
        if (run.Best is { } best)
        {
            try
            {
                // The best weights again, now with the whole run's curve and their int8 check: the final save, from memory.
                var int8 = stopped ? null : Int8Check(best.Weights);
                _model.Save(_outputPath, (best.Summary ?? summary) with { History = summary.History, Int8 = int8 }, best.Weights);
            }
            catch (TextGenException e)
            {
                warning = $"the model is saved, but its training curve stops at its best evaluation ({e.Message})";
            }
        }
        return run.Result(stopped, summary) with
        {
            Warning = warning,
            FirstStepSeconds = firstStep,
            Samples = run.Samples,
        };
    }

    /// <summary>
    /// The saved weights' loss through the int8 engine against fp32 (<see cref="PrecisionChoice.Measure"/>), or null:
    /// nothing to score, or the check failed (say, out of memory for a large vocabulary's tables), which must not cost
    /// the run its final save. Skipped after a stop signal, whose grace period is for the save.
    /// </summary>
    private Int8LossCheck? Int8Check(byte[] bestWeights)
    {
        try
        {
            var weights = LanguageModelWeights.From(StateDict.Read(bestWeights, _outputPath), _model.Network.Config, _outputPath);
            var check = PrecisionChoice.Measure(weights, _data.PrecisionProbe);
            return check.Tokens > 0 ? check : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // sample and serve then keep to fp32 for this model, as for one trained before the check
        }
    }

    /// <summary>
    /// A sample of the network as it stands, from the runtime's engine (no libtorch step, so training's state is not
    /// touched), with the run's seed: samples of successive evaluations differ by what the model learned, not by chance.
    /// </summary>
    private string Sample() => new TextGenerator(_model.ForGeneration(), GenerationPrecision.Fp32).Generate("", new SamplingOptions
    {
        Length = _options.SampleLength,
        Temperature = _options.SampleTemperature,
        Seed = (int)(_options.Seed & int.MaxValue),
    });

    /// <summary>
    /// One training run's moving parts: the optimizer, the weight average, the recurrent state carried between
    /// windows, the clocks and the running losses, restored from the checkpoint when resuming.
    /// </summary>
    private sealed class RunState : IDisposable
    {
        private readonly Trainer _trainer;
        private readonly LanguageNetwork _network;
        private readonly ITrainingBatches _batches;
        private readonly TrainingOptions _options;
        private readonly Parameter[] _parameters;
        private readonly Adam _optimizer;
        private readonly WeightAverage _average;
        private readonly GradientExchange _exchange;
        private readonly StepAgreement _agreement;
        private readonly TrainingRanks _ranks;
        private readonly int _evaluateEvery;
        private readonly long? _totalSteps;
        private readonly long[] _inputs;
        private readonly long[] _targets;
        private readonly long[] _shape;
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly Stopwatch _evaluating = new();
        private readonly double _secondsBefore;
        private RecurrentState? _state;
        private long _step;
        private long _stepsThisRun;
        private long _lastEvaluated;
        private double _best = double.PositiveInfinity;
        private double _trainLoss = double.NaN;
        private double _lossSum;
        private int _lossCount;
        private double _learningRate;
        private IReadOnlyList<TrainingPoint> _history = [];
        private double? _evaluationSeconds; // what the last evaluation, save and checkpoint took, once measured

        public RunState(Trainer trainer, CancellationToken cancel)
        {
            _trainer = trainer;
            _ranks = trainer._ranks;
            _network = trainer._model.Network;
            _batches = trainer._data.Batches;
            _options = trainer._options;
            _parameters = _network.parameters().Where(p => p.requires_grad).ToArray(); // frozen embeddings stay as they are
            _optimizer = new Adam(_parameters, _options.LearningRate, beta1: _options.Beta1);
            try
            {
                if (trainer._resume is { } resume)
                {
                    ModuleWeights.Load(_network, resume.Weights, trainer._checkpointPath);
                    Checkpoint.RestoreOptimizer(_optimizer, resume.Optimizer, trainer._checkpointPath);
                    _step = resume.State.Step;
                    _secondsBefore = resume.State.ElapsedSeconds;
                    _best = resume.State.BestValLoss;
                    _trainLoss = resume.State.TrainLoss;
                    _history = resume.State.History;
                    Best = SavedBest(trainer._outputPath);
                }
                ShareLeadersState();
                _lastEvaluated = _step;
                _average = new WeightAverage(_parameters, _step);
                if (trainer._resume?.Average is { } averaged)
                {
                    _average.Load(_network, averaged, trainer._checkpointPath);
                }
                if (trainer._resume is not null && _ranks.Size > 1)
                {
                    _average.Load(_network, _ranks.Broadcast(_ranks.IsLeader ? _average.ToBytes(_network) : []), "rank 0's weight average");
                }
            }
            catch
            {
                // A checkpoint that does not fit: free the native optimizer state and average before reporting it.
                _average?.Dispose();
                _optimizer.Dispose();
                throw;
            }
            _exchange = new GradientExchange(_ranks, _parameters, _options.Allreduce);
            _agreement = new StepAgreement(_ranks, cancel, () => TimeUsed);
            _agreement.Begin();
            _evaluateEvery = EvaluationInterval(_batches, trainer._data.ValidationTokens);
            _totalSteps = _options.Epochs is { } epochs ? (long)epochs * _batches.StepsPerEpoch : null;
            _inputs = new long[_batches.TokensPerStep];
            _targets = new long[_batches.TokensPerStep];
            _shape = [_batches.BatchSize, _batches.SequenceLength];
        }

        /// <summary>Seconds of every run so far, resumed ones included, each from the start of its command.</summary>
        private double Seconds => _secondsBefore + _trainer._commandClock.Elapsed.TotalSeconds;

        /// <summary>
        /// Time kept back from the budget for the final evaluation: the last one's duration, or before any, the estimate
        /// the evaluation interval rests on (<see cref="TrainingCostOfScoring"/>).
        /// </summary>
        private double EvaluationReserve => _evaluationSeconds
            ?? (_stepsThisRun > 0 && TokensPerSecond > 0 ? _trainer._data.ValidationTokens / (TrainingCostOfScoring * TokensPerSecond) : 0);

        /// <summary>Fraction of the budget (epochs or time, whichever ends first) used; the time by rank 0's clock.</summary>
        public double Fraction => Math.Max(_totalSteps is { } total ? _step / (double)total : 0, _agreement.TimeUsed);

        private double TimeUsed => _options.MaxTime is { } max ? (Seconds + EvaluationReserve) / max.TotalSeconds : 0;

        /// <summary>Whether a stop signal reached this rank, or with several ranks, any rank by the last step.</summary>
        public bool Stopping => _agreement.Stop;

        /// <summary>
        /// Every rank starts from rank 0's state: its weights (from its seed, checkpoint or model) and, resuming, its step
        /// and optimizer moments, whatever another machine's copy of the checkpoint holds. The same summed gradients then
        /// keep the ranks the same. Dropout then draws different masks on each rank, as for different rows of one batch.
        /// </summary>
        private void ShareLeadersState()
        {
            if (_ranks.Size == 1) return;
            _step = _ranks.LeadersValue(_step);
            ModuleWeights.Load(_network, _ranks.Broadcast(_ranks.IsLeader ? ModuleWeights.ToBytes(_network) : []), "rank 0's weights");
            if (_trainer._resume is not null)
            {
                Checkpoint.RestoreOptimizer(_optimizer, _ranks.Broadcast(_ranks.IsLeader ? Checkpoint.OptimizerBytes(_optimizer) : []), "rank 0's optimizer state");
            }
            if (!_ranks.IsLeader) manual_seed(_options.Seed + 1_000_003L * _ranks.Rank);
        }

        public bool EvaluationDue => _step % _evaluateEvery == 0;

        public bool EvaluatedThisStep => _lastEvaluated == _step;

        /// <summary>The samples generated at this run's evaluations, thinned as the curve is (a week-long run keeps a few MB at most).</summary>
        public IReadOnlyList<TrainingSample> Samples { get; private set; } = [];

        /// <summary>The weights and summary of the best evaluation, as saved in the model file; null before the first.</summary>
        public (byte[] Weights, TrainingSummary? Summary)? Best { get; private set; }

        /// <summary>What a resumed run's model file holds, so that its final save keeps it when no evaluation beats it.</summary>
        private static (byte[] Weights, TrainingSummary? Summary)? SavedBest(string path)
        {
            if (!File.Exists(path)) return null;
            try
            {
                var (header, sections) = ModelFile.Read(path, ModelFile.TextKind, HeaderJson.Default.ModelMetadata);
                return sections.TryGetValue(TextModel.WeightsSection, out var weights) ? (weights, header.Training) : null;
            }
            catch (TextGenException)
            {
                return null; // a damaged file is replaced at the next best evaluation
            }
        }

        /// <summary>Training tokens/s of this run: everything but evaluation counts (batching, steps, saving).</summary>
        private double TokensPerSecond => _stepsThisRun == 0 ? 0 : _stepsThisRun * TokensPerStep / (_wall.Elapsed - _evaluating.Elapsed).TotalSeconds;

        /// <summary>Training tokens of one step, all ranks' rows.</summary>
        private long TokensPerStep => (long)_batches.TokensPerStep * _ranks.Size;

        /// <summary>One step of truncated back-propagation through time on the next batch.</summary>
        public void TrainOneStep()
        {
            var inEpoch = (int)(_step % _batches.StepsPerEpoch);
            if (inEpoch == 0 || !_batches.CarriesState)
            {
                _state?.Dispose();
                _state = null;
            }
            _batches.Fill(_step / _batches.StepsPerEpoch, inEpoch, _inputs, _targets);
            if (_state is not null && _batches.FreshRows is { } fresh && fresh.Contains(true))
            {
                var carried = _state;
                _state = carried.WithRowsZeroed(fresh);
                carried.Dispose();
            }
            _learningRate = LearningRateSchedule.At(_options.LearningRate, _step, Fraction);
            foreach (var group in _optimizer.ParamGroups)
            {
                group.LearningRate = _learningRate;
            }

            double loss;
            using (NewDisposeScope())
            {
                var (logits, next) = _network.call(tensor(_inputs, _shape), _state);
                var lossSum = nn.functional.cross_entropy(logits.reshape(-1, _network.Config.VocabularySize), tensor(_targets), reduction: nn.Reduction.Sum);
                // The mean over every rank's scored targets, as one process would take it over the whole batch.
                var (targets, allLosses) = _agreement.Settle(ScoredTargets(), lossSum.item<float>());
                loss = allLosses / Math.Max(1, targets);
                _optimizer.zero_grad();
                (lossSum / Math.Max(1, targets)).backward();
                _exchange.SumGradients();
                nn.utils.clip_grad_norm_(_parameters, _options.GradientClip);
                _optimizer.step();
                _average.Update();
                _state?.Dispose();
                _state = _batches.CarriesState ? next.Detach().MoveToOuterDisposeScope() : null;
            }
            _step++;
            _stepsThisRun++;
            if (!double.IsFinite(loss))
            {
                throw Diverged($"loss is {loss}");
            }
            _lossSum += loss;
            _lossCount++;
        }

        /// <summary>Targets of this rank's rows the loss scores (padding is not scored).</summary>
        private long ScoredTargets()
        {
            long scored = 0;
            foreach (var target in _targets) scored += target == DocumentBatcher.Ignore ? 0 : 1;
            return scored;
        }

        /// <summary>
        /// Scores the averaged weights on the validation part, saves them as the model when they are the best so far,
        /// and writes the checkpoint that <c>--resume</c> continues from. Rank 0's work: the other ranks go on to the
        /// next step, where they wait for it.
        /// </summary>
        public TrainingProgress EvaluateSaveAndCheckpoint()
        {
            if (!_ranks.IsLeader) return Progress();
            if (_lossCount > 0)
            {
                _trainLoss = _lossSum / _lossCount;
                _lossSum = 0;
                _lossCount = 0;
            }
            var started = _trainer._commandClock.Elapsed;
            var (loss, improved, sample) = EvaluateAverage();
            SaveCheckpoint();
            _evaluationSeconds = (_trainer._commandClock.Elapsed - started).TotalSeconds;
            return Progress() with { Evaluated = true, ValLoss = loss, BestValLoss = _best, Improved = improved, Sample = sample };
        }

        /// <summary>Scores the averaged weights, saves them (as the best, and as a kept model with --keep) and samples them.</summary>
        private (double Loss, bool Improved, TrainingSample? Sample) EvaluateAverage()
        {
            using var averaged = _average.Apply();
            _evaluating.Start();
            NormStatistics.Refresh(_network, _batches, _step / _batches.StepsPerEpoch);
            var loss = _trainer._data.Evaluate(_network).MeanNats;
            _evaluating.Stop();
            _lastEvaluated = _step;
            _history = TrainingPoint.Append(_history, new TrainingPoint(_step, Seconds, _trainLoss, loss, _learningRate));
            var improved = loss < _best;
            var weights = improved || _options.Keep > 0 ? ModuleWeights.ToBytes(_network) : null;
            if (improved)
            {
                _best = loss;
                var best = (Weights: weights!, Summary: Summary());
                _trainer._model.Save(_trainer._outputPath, best.Summary, best.Weights);
                Best = best;
            }
            if (_options.Keep > 0)
            {
                _trainer._model.Save(KeptModels.PathFor(_trainer._outputPath, _step), Summary() with { ValLoss = loss }, weights!);
                KeptModels.Prune(_trainer._outputPath, _options.Keep);
            }
            if (_options.SampleLength == 0) return (loss, improved, null);
            _evaluating.Start(); // sampling is not training either
            var sample = new TrainingSample(_step, loss, _trainer.Sample());
            _evaluating.Stop();
            Samples = TrainingPoint.Append(Samples, sample);
            return (loss, improved, sample);
        }

        public void SaveCheckpoint()
        {
            if (!_ranks.IsLeader) return;
            RequireFiniteWeights();
            new Checkpoint
            {
                Model = _trainer._model.Metadata,
                Step = _step,
                ElapsedSeconds = Seconds,
                BestValLoss = _best,
                TrainLoss = _trainLoss,
                History = _history,
            }.Save(_trainer._checkpointPath, _network, _optimizer, _average);
        }

        /// <summary>
        /// A step can leave non-finite weights behind a finite loss (the loss is taken before the update); they are
        /// never written over the last good checkpoint, and never saved as the model (their loss cannot improve).
        /// </summary>
        private void RequireFiniteWeights()
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            if (_parameters.Any(p => !isfinite(p).all().item<bool>()))
            {
                throw Diverged("the weights are no longer finite");
            }
        }

        private TextGenException Diverged(string why) =>
            new($"training diverged at step {_step} ({why}); lower the learning rate or the gradient clip. The last good model and checkpoint are kept.");

        public TrainingProgress Progress() => new()
        {
            Step = _step,
            Epoch = _step / (double)_batches.StepsPerEpoch,
            Fraction = Math.Clamp(Fraction, 0, 1),
            TrainLoss = _lossCount > 0 ? _lossSum / _lossCount : _trainLoss,
            TokensPerSecond = TokensPerSecond,
            LearningRate = _learningRate,
            Elapsed = TimeSpan.FromSeconds(Seconds),
        };

        /// <summary>The run so far: every step and second, resumed runs included; the best validation loss.</summary>
        public TrainingSummary Summary() => new()
        {
            Corpus = _trainer._corpusName,
            Steps = _step,
            Epochs = _step / (double)_batches.StepsPerEpoch,
            TrainLoss = _trainLoss,
            ValLoss = _best,
            TokensPerSecond = TokensPerSecond,
            Seconds = Seconds,
            BatchSize = _batches.BatchSize,
            SequenceLength = _batches.SequenceLength,
            LearningRate = _options.LearningRate,
            Seed = _options.Seed,
            Ranks = _ranks.Size,
            History = _history,
        };

        public TrainingResult Result(bool stopped, TrainingSummary summary) => new(_trainer._outputPath, summary, _network.ParameterCount, stopped)
        {
            Ranks = _ranks.Size,
            AllreduceBytesPerStep = _exchange.BytesPerStep,
            AllreduceSeconds = _exchange.Reducing.TotalSeconds,
        };

        public void Dispose()
        {
            _state?.Dispose();
            _average.Dispose();
            _optimizer.Dispose();
        }
    }
}

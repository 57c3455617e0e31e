using TextGen.Modeling;
using TextGen.Persistence;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>
/// An exponential moving average of the trained weights over about the last <see cref="HorizonSteps"/> steps. It is
/// what gets evaluated and saved: averaging removes the step-to-step noise that a high learning rate leaves in the
/// last weights (docs/training.md, third round). Early on the horizon is shorter (about a ninth of the steps so far), so the average never leans on the
/// untrained weights of the first steps.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    /// <summary>Long enough to smooth the noise, short enough to follow training (docs/training.md).</summary>
    public const int HorizonSteps = 50;

    private readonly Parameter[] _live;
    private readonly Tensor[] _average;
    private long _updates;

    /// <summary>Starts the average at the network's current weights, as if <paramref name="updates"/> steps were behind it.</summary>
    public WeightAverage(IEnumerable<Parameter> parameters, long updates = 0)
    {
        _live = parameters.ToArray();
        _updates = updates;
        using var _ = no_grad();
        _average = _live.Select(p => p.detach().clone()).ToArray();
    }

    public static double DecayAfter(long updates) => Math.Min(1 - 1.0 / HorizonSteps, (1.0 + updates) / (10.0 + updates));

    public void Update()
    {
        using var _ = no_grad();
        var decay = DecayAfter(++_updates);
        // Scalars held until the loop ends, not temporaries (HeldScalars says why): this runs for every parameter at every step.
        using Scalar keep = decay, add = 1 - decay;
        for (var i = 0; i < _live.Length; i++)
        {
            _average[i].mul_(keep).add_(_live[i], add);
        }
    }

    /// <summary>Puts the averaged weights into the network until the result is disposed.</summary>
    public IDisposable Apply()
    {
        using var _ = no_grad();
        var saved = _live.Select(p => p.detach().clone()).ToArray();
        for (var i = 0; i < _live.Length; i++)
        {
            _live[i].copy_(_average[i]);
        }
        return new Restore(_live, saved);
    }

    /// <summary>The averaged weights of <paramref name="network"/> (whose parameters these are), as weight bytes.</summary>
    public byte[] ToBytes(LanguageNetwork network)
    {
        using (Apply())
        {
            return ModuleWeights.ToBytes(network);
        }
    }

    /// <summary>Restores an average saved by <see cref="ToBytes"/>; the network's own weights are left as they were.</summary>
    public void Load(LanguageNetwork network, byte[] bytes, string path)
    {
        using var _ = no_grad();
        using (Apply()) // only for the restore of the live weights it guarantees, also when the bytes are bad
        {
            ModuleWeights.Load(network, bytes, path);
            for (var i = 0; i < _live.Length; i++)
            {
                _average[i].copy_(_live[i]);
            }
        }
    }

    public void Dispose()
    {
        foreach (var tensor in _average)
        {
            tensor.Dispose();
        }
    }

    private sealed class Restore(Parameter[] live, Tensor[] saved) : IDisposable
    {
        public void Dispose()
        {
            using var _ = no_grad();
            for (var i = 0; i < live.Length; i++)
            {
                live[i].copy_(saved[i]);
                saved[i].Dispose();
            }
        }
    }
}

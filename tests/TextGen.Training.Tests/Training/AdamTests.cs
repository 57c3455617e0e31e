using TextGen.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Tests.Training;

/// <summary>TextGen's Adam only keeps its scalars alive: its steps must be TorchSharp's Adam's to the bit, and its saved state load into it.</summary>
public class AdamTests
{
    [Fact]
    public void ItStepsExactlyAsTorchSharpsAdam()
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(1);
        using var start = torch.randn(6, 4);
        using var target = torch.randn(6, 4);
        var reference = new Parameter(start.clone());
        var stable = new Parameter(start.clone());
        using var torchSharps = optim.Adam([reference], 0.01, beta1: 0.8);
        using var ours = new TextGen.Training.Adam([stable], 0.01, beta1: 0.8);
        foreach (var (parameter, optimizer) in new (Parameter, TorchSharp.Modules.Adam)[] { (reference, torchSharps), (stable, ours) })
        {
            for (var step = 0; step < 7; step++)
            {
                optimizer.zero_grad();
                using var loss = (parameter - target).pow(2).sum() + parameter.sin().sum();
                loss.backward();
                optimizer.step();
            }
        }
        Assert.True(reference.eq(stable).all().item<bool>(), "TextGen's Adam differs from TorchSharp's after the same steps");
        Assert.False(reference.eq(start).all().item<bool>());

        // A checkpoint's optimizer state names its type: TextGen's and TorchSharp's load each other's.
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) ours.save_state_dict(writer);
        saved.Position = 0;
        using var reader = new BinaryReader(saved);
        torchSharps.load_state_dict(reader);
    }
}

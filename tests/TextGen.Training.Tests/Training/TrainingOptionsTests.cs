using TextGen.Persistence;
using TextGen.Training;
using static TorchSharp.torch;

namespace TextGen.Tests.Training;

public class TrainingOptionsTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void RejectsAMomentumOutsideZeroToOne(double beta1)
    {
        var options = new TrainingOptions { Beta1 = beta1, Epochs = 1 };
        var error = Assert.Throws<SettingException>(options.Validate);
        Assert.Equal("beta1", error.Setting);
    }

    [Fact]
    public void TheTrainerUsesTheGivenMomentum()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(3)), dir.File("m.tgm"), epochs: 1);
        var result = SmallModels.Train(request with { Training = request.Training with { Beta1 = 0.3 } });

        var saved = Checkpoint.Load(Checkpoint.PathFor(result.ModelPath));
        using var trained = TrainableModel.Load(result.ModelPath);
        using var optimizer = optim.Adam(trained.Network.parameters(), 0.01);
        Checkpoint.RestoreOptimizer(optimizer, saved.Optimizer, "m.tgm.ckpt");
        Assert.Equal(0.3, ((TorchSharp.Modules.Adam.ParamGroup)optimizer.ParamGroups.Single()).Betas.Item1);
    }
}

namespace TextGen.Tests.Cli;

public class PrecisionFlagTests(SharedModel model) : IClassFixture<SharedModel>
{
    [Fact]
    public void SampleTakesThePrecisionFlag()
    {
        var unknown = CliRunner.Run("sample", "-m", model.Path, "--precision", "int4", "-l", "5");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("textgen: --precision int4 is not one of auto, fp32 or int8 (see `textgen sample --help`)", unknown.Error.Trim());

        var fp32 = CliRunner.Run("sample", "-m", model.Path, "--precision", "fp32", "-t", "0", "-p", "Call me", "-l", "30");
        var int8 = CliRunner.Run("sample", "-m", model.Path, "--precision", "int8", "-t", "0", "-p", "Call me", "-l", "30");
        Assert.Equal(0, fp32.ExitCode);
        // Greedy text may part where two tokens nearly tie; the agreement itself is measured in the runtime's tests.
        Assert.Equal(0, int8.ExitCode);
        Assert.Equal(fp32.Output[..5], int8.Output[..5]);
    }
}

using TextGen.Fuzzing;

namespace TextGen.Tests.Fuzzing;

/// <summary>
/// Every fuzzing target's seeds, and every input coverage-guided fuzzing found (tests/TextGen.Fuzzing/findings), run
/// through the target: each must be taken or refused the documented way, never end in another exception.
/// </summary>
public class FuzzRegressionTests
{
    public static TheoryData<string> Targets() => [.. FuzzTarget.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeedsAreTaken(string name)
    {
        var target = FuzzTarget.Named(name)!;
        var seeds = target.Seeds().ToArray();
        Assert.NotEmpty(seeds);
        // Seeds are where fuzzing starts: most must be valid inputs, or afl-fuzz explores only the refusals.
        Assert.True(seeds.Count(seed => target.Run(seed.Item2)) * 2 >= seeds.Length, $"most of {name}'s seeds are refused");
    }

    [Fact]
    public void FindingsEndTakenOrRefused()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "fuzz-findings");
        var findings = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(findings);
        foreach (var file in findings)
        {
            var target = FuzzTarget.Named(Path.GetFileName(Path.GetDirectoryName(file))!) ?? throw new InvalidOperationException($"{file} is in no target's folder");
            var exception = Record.Exception(() => target.Run(File.ReadAllBytes(file)));
            Assert.True(exception is null, $"{Path.GetRelativePath(folder, file)}: {exception}");
        }
    }
}

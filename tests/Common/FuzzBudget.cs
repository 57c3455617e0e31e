namespace TextGen.Tests.Fuzzing;

/// <summary>How many rounds a fuzz test runs: its default for the suite, times TEXTGEN_FUZZ_SCALE for longer runs.</summary>
public static class FuzzBudget
{
    public static int Rounds(int suiteDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("TEXTGEN_FUZZ_SCALE"), out var scale) && scale > 1 ? suiteDefault * scale : suiteDefault;
}

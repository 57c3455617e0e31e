namespace TextGen.Tests;

/// <summary>Small corpora the tests make themselves (tests never need the network or ../shared).</summary>
public static class Corpora
{
    /// <summary>A period-8 text: a model that learns it predicts every character after the first few exactly.</summary>
    public static string Periodic(int repeats = 300) => string.Concat(Enumerable.Repeat("abcdefg\n", repeats));

    /// <summary>Some English-like prose with varied characters, for round trips and smoke runs.</summary>
    public static string Prose(int repeats = 40) => string.Concat(Enumerable.Repeat(
        "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, " +
        "and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.\n", repeats));
}

using System.Text.RegularExpressions;

namespace TextGen.Tokenization;

/// <summary>
/// Each UTF-16 unit's classes as .NET's regex sees them (\s, \w, \p{L}, \p{N}), taken from the regex engine itself so
/// that the scans built on them (<see cref="TextPieces.Words"/>, <see cref="TextPieces.Bpe"/>) split text exactly as the patterns
/// they replace. The regex, like these scans, looks at one UTF-16 unit at a time: a surrogate is in none of the classes.
/// </summary>
internal static partial class CharacterClasses
{
    public const byte Space = 1, Word = 2, Letter = 4, Number = 8;

    [GeneratedRegex(@"^\s$")]
    private static partial Regex SpaceCharacter();

    [GeneratedRegex(@"^\w$")]
    private static partial Regex WordCharacter();

    [GeneratedRegex(@"^\p{L}$")]
    private static partial Regex LetterCharacter();

    [GeneratedRegex(@"^\p{N}$")]
    private static partial Regex NumberCharacter();

    /// <summary>The classes of each UTF-16 unit, as flags.</summary>
    public static readonly byte[] Of = Build();

    private static byte[] Build()
    {
        var classes = new byte[char.MaxValue + 1];
        Span<char> one = stackalloc char[1];
        for (var c = 0; c <= char.MaxValue; c++)
        {
            one[0] = (char)c;
            classes[c] = (byte)((SpaceCharacter().IsMatch(one) ? Space : 0) | (WordCharacter().IsMatch(one) ? Word : 0)
                                | (LetterCharacter().IsMatch(one) ? Letter : 0) | (NumberCharacter().IsMatch(one) ? Number : 0));
        }
        return classes;
    }
}

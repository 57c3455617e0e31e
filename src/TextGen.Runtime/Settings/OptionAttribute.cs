using System.Runtime.CompilerServices;

namespace TextGen.Settings;

/// <summary>
/// Makes a property of an options record a user setting. The property is the one declaration: its initial value is the
/// default, this attribute gives its name, description and accepted values, and the CLI's flag and --help, the
/// library's checks (<see cref="Declared{T}.Validate"/>) and docs/flags.md's test all read it. Enum properties accept
/// their member names in lower case; array properties a comma-separated list.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string name, string description, [CallerLineNumber] int line = 0) : Attribute
{
    /// <summary>Where the declaration stands in its file: flags are listed in declaration order, which a native build's reflection does not keep.</summary>
    public int Line { get; } = line;

    /// <summary>The flag without "--", and the name messages use ("layers 17 is out of range; ...").</summary>
    public string Name { get; } = name;
    public string Description { get; } = description;
    /// <summary>Smallest accepted value (of each element, for arrays); NaN for no limit.</summary>
    public double Min { get; init; } = double.NaN;
    /// <summary>Largest accepted value; NaN for no limit.</summary>
    public double Max { get; init; } = double.NaN;
    /// <summary>The minimum itself is not accepted (a rate of 0).</summary>
    public bool MinExclusive { get; init; }
    /// <summary>A sensible value for messages, e.g. "e.g. 0.8".</summary>
    public string? Example { get; init; }
    /// <summary>A short alias such as "-o".</summary>
    public string? Alias { get; init; }
    /// <summary>
    /// The default in words, for a property whose default the program picks when the flag is not given (a random seed,
    /// a width fitted to the budget): the flag then has no default value, and the record keeps its own when bound.
    /// </summary>
    public string? Chosen { get; init; }
}

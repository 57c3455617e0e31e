using System.Globalization;

namespace TextGen;

/// <summary>
/// One user setting: its name (the CLI flag without "--"), what it does, its default and the values it accepts. The
/// library validates with it, and the CLI builds its flag, help text and parse-time check from it, so that a default,
/// a range and the message about it live in one place.
/// </summary>
/// <param name="Max">Largest accepted value; null for no upper limit.</param>
/// <param name="MinExclusive">The minimum itself is not accepted (a rate of 0, a fraction of 0).</param>
/// <param name="Example">A sensible value named in the message, e.g. "e.g. 0.8".</param>
public sealed record Setting<T>(string Name, string Description, T Default, T Min, T? Max = null, bool MinExclusive = false, string? Example = null)
    where T : struct, IComparable<T>
{
    /// <summary>The accepted values in words: "1 to 16", "1 or more", "more than 0 up to 1".</summary>
    public string Range => (MinExclusive, Max) switch
    {
        (false, null) => $"{Format(Min)} or more",
        (true, null) => $"more than {Format(Min)}",
        (false, { } max) => $"{Format(Min)} to {Format(max)}",
        (true, { } max) => $"more than {Format(Min)} up to {Format(max)}",
    };

    public bool Accepts(T value) =>
        !(value is double d && double.IsNaN(d))
        && (MinExclusive ? value.CompareTo(Min) > 0 : value.CompareTo(Min) >= 0)
        && (Max is not { } max || value.CompareTo(max) <= 0);

    /// <summary>What is wrong with <paramref name="value"/>, without the setting's name: "17 is out of range; use 1 to 16."</summary>
    public string Problem(T value) => $"{Format(value)} is out of range; use {Range}{(Example is null ? "" : $", {Example}")}.";

    /// <summary>The value, or a <see cref="SettingException"/> saying what to use instead.</summary>
    public T Check(T value) => Accepts(value) ? value : throw new SettingException(Name, Problem(value));

    public static string Format(T value) => value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString()!;
}

/// <summary>
/// A setting out of range. The message names the setting as the library knows it ("layers 17 is out of range; use 1
/// to 16."); the CLI prints it with the flag ("--layers 17 ...") and the server with its own field names.
/// </summary>
public sealed class SettingException(string setting, string problem) : TextGenException($"{setting} {problem}")
{
    public string Setting { get; } = setting;
    public string Problem { get; } = problem;
}

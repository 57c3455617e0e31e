using System.Globalization;
using System.Reflection;

namespace TextGen.Settings;

/// <summary>One property declared with <see cref="OptionAttribute"/>: what it is, its default, and what it accepts.</summary>
public sealed class DeclaredOption
{
    internal DeclaredOption(PropertyInfo property, OptionAttribute declaration, object? defaultValue)
    {
        Property = property;
        Declaration = declaration;
        Default = defaultValue;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        ElementType = type.IsArray ? type.GetElementType()! : type;
        // A nullable enum whose default the program picks takes that word too: "--precision auto".
        string[] picked = ElementType.IsEnum && Nullable.GetUnderlyingType(property.PropertyType) is not null && declaration.Chosen is { } word ? [word] : [];
        Choices = ElementType.IsEnum ? [.. picked, .. Enum.GetNames(ElementType).Select(n => n.ToLowerInvariant())] : [];
    }

    public PropertyInfo Property { get; }
    public OptionAttribute Declaration { get; }
    public string Name => Declaration.Name;
    public string Description => Declaration.Description;
    /// <summary>The property's initial value in a new record.</summary>
    public object? Default { get; }
    /// <summary>The property's type, or its element type for an array (without Nullable).</summary>
    public Type ElementType { get; }
    /// <summary>An enum's accepted names, lower case (and the <see cref="OptionAttribute.Chosen"/> word of a nullable one); empty for other types.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>The accepted values in words: "1 to 16", "1 or more", "more than 0 up to 1", "rnn, lstm or gru".</summary>
    public string Range
    {
        get
        {
            if (Choices.Count > 0) return Choices.Count == 1 ? Choices[0] : $"{string.Join(", ", Choices.Take(Choices.Count - 1))} or {Choices[^1]}";
            var (min, max, exclusive) = (Declaration.Min, Declaration.Max, Declaration.MinExclusive);
            return (double.IsNaN(min), double.IsNaN(max)) switch
            {
                (true, true) => "any value",
                (true, false) => $"at most {Format(max)}",
                (false, true) => exclusive ? $"more than {Format(min)}" : $"{Format(min)} or more",
                (false, false) => exclusive ? $"more than {Format(min)} up to {Format(max)}" : $"{Format(min)} to {Format(max)}",
            };
        }
    }

    /// <summary>What is wrong with <paramref name="value"/> (an element, for arrays), without the name; null when it is accepted.</summary>
    public string? Problem(object? value)
    {
        if (value is null) return null;
        if (value is Array array) return array.Cast<object>().Select(Problem).FirstOrDefault(p => p is not null);
        if (value is Enum member) return Enum.IsDefined(ElementType, member) ? null : $"{Convert.ToInt64(member, CultureInfo.InvariantCulture)} is not one of {Range}.";
        if (value is not IConvertible || value is string || value is bool) return null;
        var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        var (min, max) = (Declaration.Min, Declaration.Max);
        var accepted = !double.IsNaN(number)
            && (double.IsNaN(min) || (Declaration.MinExclusive ? number > min : number >= min))
            && (double.IsNaN(max) || number <= max);
        return accepted ? null : $"{Format(value)} is out of range; use {Range}{(Declaration.Example is null ? "" : $", {Declaration.Example}")}.";
    }

    /// <summary>The enum member named <paramref name="name"/> (any case), null for the <see cref="OptionAttribute.Chosen"/> word, or a <see cref="SettingException"/>.</summary>
    public object? ParseChoice(string name)
    {
        var trimmed = name.Trim().ToLowerInvariant();
        if (!Choices.Contains(trimmed)) throw new SettingException(Name, $"{name} is not one of {Range}.");
        return trimmed == Declaration.Chosen ? null : Enum.Parse(ElementType, trimmed, ignoreCase: true);
    }

    /// <summary>The value, or a <see cref="SettingException"/> naming this setting.</summary>
    public void Check(object? value)
    {
        if (Problem(value) is { } problem) throw new SettingException(Name, problem);
    }

    public static string Format(object value) => value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString()!;
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using TextGen.Settings;

namespace TextGen.Cli;

/// <summary>
/// The flags of an options record, made from its declarations (<see cref="OptionAttribute"/>): add
/// <see cref="Options"/> to a command, then <see cref="Bind"/> gives the record the flags describe. The flag's name,
/// help text, default, accepted values and parse-time message all come from the property.
/// </summary>
public sealed class OptionBinder<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicMethods)] T>
    where T : new()
{
    private readonly (DeclaredOption Declared, Option Option)[] _flags;

    /// <param name="except">Declared names this command does not offer (a setting another record already has).</param>
    public OptionBinder(params string[] except)
    {
        _flags = [.. Declared<T>.Options.Where(d => !except.Contains(d.Name)).Select(d => (d, OptionFlags.Create(d)))];
    }

    public IEnumerable<Option> Options => _flags.Select(f => f.Option);

    public Option this[string name] => _flags.Single(f => f.Declared.Name == name).Option;

    /// <summary>
    /// <paramref name="start"/> (default: a new record) with every flag given on the command line, and every flag
    /// with a default, set; a flag whose default the program picks (<see cref="OptionAttribute.Chosen"/>) keeps the start's.
    /// </summary>
    public T Bind(ParseResult parse, T? start = default)
    {
        var record = start is null ? new T() : Clone(start);
        foreach (var (declared, option) in _flags)
        {
            if (parse.GetResult(option) is not { } result) continue;
            var value = result.GetValueOrDefault<object?>();
            if (value is null && declared.Declaration.Chosen is not null) continue;
            declared.Property.SetValue(record, OptionFlags.ToProperty(declared, value));
        }
        return record;
    }

    /// <summary>Whether the user gave the flag (rather than its default applying).</summary>
    public bool Given(ParseResult parse, string name) => parse.GetResult(this[name]) is { Implicit: false };

    /// <summary>A copy through the record's own clone method, so that binding never changes <paramref name="start"/>.</summary>
    private static T Clone(T start) => (T)typeof(T).GetMethod("<Clone>$")!.Invoke(start, null)!;
}

/// <summary>The System.CommandLine option for one declared property, by its type.</summary>
internal static class OptionFlags
{
    public static Option Create(DeclaredOption declared)
    {
        var type = declared.Property.PropertyType;
        var optional = declared.Declaration.Chosen is not null || Nullable.GetUnderlyingType(type) is not null;
        return declared.ElementType switch
        {
            var e when e == typeof(bool) => Typed<bool>(declared, optional: false),
            var e when e == typeof(TimeSpan) => Duration(declared),
            var e when e.IsEnum => Choice(declared),
            _ when type.IsArray => List(declared),
            var e when e == typeof(int) => optional ? Typed<int?>(declared, true) : Typed<int>(declared, false),
            var e when e == typeof(long) => optional ? Typed<long?>(declared, true) : Typed<long>(declared, false),
            var e when e == typeof(double) => optional ? Typed<double?>(declared, true) : Typed<double>(declared, false),
            var e when e == typeof(string) => Typed<string?>(declared, optional),
            var e => throw new NotSupportedException($"option '{declared.Name}' has a type the CLI does not parse: {e.Name}"),
        };
    }

    /// <summary>The property's value for the parsed value of its flag.</summary>
    public static object? ToProperty(DeclaredOption declared, object? value) => value switch
    {
        string name when declared.ElementType.IsEnum => Enum.Parse(declared.ElementType, name, ignoreCase: true),
        _ => value,
    };

    private static Option<TValue> New<TValue>(DeclaredOption declared)
    {
        var flag = "--" + declared.Name;
        var option = declared.Declaration.Alias is { } alias ? new Option<TValue>(flag, alias) : new Option<TValue>(flag);
        option.Description = declared.Description;
        return option;
    }

    private static Option<TValue> Typed<TValue>(DeclaredOption declared, bool optional)
    {
        var option = New<TValue>(declared);
        if (!optional) option.DefaultValueFactory = _ => (TValue)declared.Default!;
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !SharedOptions.TryConvert(result.Tokens[0].Value, Nullable.GetUnderlyingType(typeof(TValue)) ?? typeof(TValue))) return; // the parser says so
            if (declared.Problem(result.GetValueOrDefault<TValue>()) is { } problem) result.AddError($"--{declared.Name} {problem}");
        });
        return option;
    }

    private static Option<string> Choice(DeclaredOption declared)
    {
        var option = New<string>(declared);
        option.DefaultValueFactory = _ => declared.Default!.ToString()!.ToLowerInvariant();
        option.AcceptOnlyFromAmong([.. declared.Choices]);
        return option;
    }

    private static Option<TimeSpan?> Duration(DeclaredOption declared) => SharedOptions.Duration("--" + declared.Name, declared.Description);

    /// <summary>A comma-separated list of whole numbers, each in the declared range (e.g. dense layer widths).</summary>
    private static Option<int[]> List(DeclaredOption declared)
    {
        var option = New<int[]>(declared);
        option.DefaultValueFactory = _ => (int[])declared.Default!;
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            var values = new List<int>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || declared.Problem(value) is not null)
                {
                    result.AddError($"--{declared.Name} '{text}' is not a list of whole numbers {declared.Range}; use e.g. 32,16.");
                    return [];
                }
                values.Add(value);
            }
            return [.. values];
        };
        return option;
    }
}

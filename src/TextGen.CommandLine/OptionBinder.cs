using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using TextGen.Settings;

namespace TextGen.CommandLine;

/// <summary>
/// The flags of an options record, made from its declarations (<see cref="OptionAttribute"/>): add
/// <see cref="Options"/> to a command, then <see cref="Bind"/> gives the record the flags describe. The flag's name,
/// help text, default, accepted values and parse-time message all come from the property.
/// </summary>
public sealed class OptionBinder<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties |
    DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicMethods)] T>
    where T : new()
{
    private readonly (DeclaredOption Declared, Option Option)[] _flags;
    private readonly bool _fromEnvironment;

    /// <param name="fromEnvironment">A flag not given is read from its variable (<see cref="SettingVariables"/>) when that is set: how containers pass settings.</param>
    /// <param name="except">Declared names this command does not offer (a setting another record already has).</param>
    public OptionBinder(bool fromEnvironment = false, params string[] except)
    {
        _fromEnvironment = fromEnvironment;
        _flags = [.. Declared<T>.Options.Where(d => !except.Contains(d.Name)).Select(d => (d, OptionFlags.Create(d)))];
        if (fromEnvironment)
        {
            foreach (var (declared, option) in _flags) option.Description += $" Environment: {SettingVariables.For(declared.Name)}.";
        }
    }

    public IEnumerable<Option> Options => _flags.Select(f => f.Option);

    public Option this[string name] => _flags.Single(f => f.Declared.Name == name).Option;

    /// <summary>
    /// <paramref name="start"/> (default: a new record) with every flag given on the command line (or in its variable),
    /// and every flag with a default, set; a flag whose default the program picks (<see cref="OptionAttribute.Chosen"/>)
    /// keeps the start's.
    /// </summary>
    public T Bind(ParseResult parse, T? start = default)
    {
        var record = start is null ? new T() : Clone(start);
        foreach (var (declared, option) in _flags)
        {
            var result = parse.GetResult(option);
            object? value;
            if (result is not { Implicit: false } && Variable(declared) is { } text) value = FromVariable(declared, text);
            else if (result is null) continue;
            else value = result.GetValueOrDefault<object?>();
            if (value is null && declared.Declaration.Chosen is not null) continue;
            declared.Property.SetValue(record, OptionFlags.ToProperty(declared, value));
        }
        return record;
    }

    /// <summary>Whether the user gave the flag (or its variable), rather than its default applying.</summary>
    public bool Given(ParseResult parse, string name) =>
        parse.GetResult(this[name]) is { Implicit: false } || Variable(_flags.Single(f => f.Declared.Name == name).Declared) is not null;

    /// <summary>The names of the flags the user gave (or whose variables are set).</summary>
    public IEnumerable<string> GivenNames(ParseResult parse) => _flags.Select(f => f.Declared.Name).Where(name => Given(parse, name));

    private string? Variable(DeclaredOption declared) =>
        _fromEnvironment ? SettingVariables.Read(declared.Name) : null;

    /// <summary>A variable's text through the flag's own parser and checks, so that it is held to the same rules.</summary>
    private static object? FromVariable(DeclaredOption declared, string text)
    {
        var option = OptionFlags.Create(declared);
        // A value is taken as it is: one starting with @ (a key, say) is not the name of a response file.
        var parse = new RootCommand { option }.Parse([option.Name, text], new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            // A key's value stays off the screen and out of logs, even when it is wrong.
            var secret = declared.Name.Contains("key", StringComparison.Ordinal);
            var shown = secret ? "(hidden)" : text;
            var problem = secret ? parse.Errors[0].Message.Replace(text, shown, StringComparison.Ordinal) : parse.Errors[0].Message;
            throw SettingVariables.Problem(declared.Name, shown, problem);
        }
        return parse.GetResult(option)!.GetValueOrDefault<object?>();
    }

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
            _ when type.IsArray => List(declared),
            var e when e.IsEnum => Choice(declared),
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
        string name when declared.ElementType.IsEnum => declared.ParseChoice(name),
        _ => value,
    };

    private static Option<TValue> New<TValue>(DeclaredOption declared)
    {
        var flag = SharedOptions.Flag(declared.Name);
        var option = declared.Declaration.Alias is { } alias ? new Option<TValue>(flag, alias) : new Option<TValue>(flag);
        option.Description = HelpText(declared);
        return option;
    }

    private static Option<TValue> Typed<TValue>(DeclaredOption declared, bool optional)
    {
        var option = New<TValue>(declared);
        if (!optional) option.DefaultValueFactory = _ => (TValue)declared.Default!;
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !SharedOptions.TryConvert(result.Tokens[0].Value, Nullable.GetUnderlyingType(typeof(TValue)) ?? typeof(TValue))) return; // the parser says so
            if (declared.Problem(result.GetValueOrDefault<TValue>()) is { } problem) result.AddError($"{SharedOptions.Flag(declared.Name)} {problem}");
        });
        return option;
    }

    private static Option<string> Choice(DeclaredOption declared)
    {
        var option = New<string>(declared);
        option.Description = declared.Description; // the default shows as a value: "auto"
        option.DefaultValueFactory = _ => declared.Default?.ToString()!.ToLowerInvariant() ?? declared.Declaration.Chosen!;
        option.HelpName = string.Join('|', declared.Choices);
        option.CompletionSources.Add([.. declared.Choices]);
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!declared.Choices.Contains(text.Trim().ToLowerInvariant())) result.AddError($"{SharedOptions.Flag(declared.Name)} {text} is not one of {declared.Range}.");
        });
        return option;
    }

    private static Option<TimeSpan?> Duration(DeclaredOption declared) => SharedOptions.Duration(SharedOptions.Flag(declared.Name), HelpText(declared));

    /// <summary>The description, and the default in words where the program picks it (a flag with a value shows its own).</summary>
    private static string HelpText(DeclaredOption declared) =>
        declared.Declaration.Chosen is { } chosen ? $"{declared.Description} Default: {chosen}." : declared.Description;

    /// <summary>A comma-separated list (widths 32,16; temperatures 0.5,1.0; cells lstm,gru), each element in the declared range.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2076", Justification = "The element is an enum: a value type, whose default constructor no trimming removes.")]
    private static Option List(DeclaredOption declared) => declared.ElementType switch
    {
        var e when e == typeof(int) => ListOf<int>(declared),
        var e when e == typeof(double) => ListOf<double>(declared),
        var e when e.IsEnum => typeof(OptionFlags).GetMethod(nameof(ListOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(e).Invoke(null, [declared]) is Option option ? option : throw new InvalidOperationException(),
        var e => throw new NotSupportedException($"option '{declared.Name}' is a list of {e.Name}, which the CLI does not parse"),
    };

    private static Option<TElement[]> ListOf<TElement>(DeclaredOption declared) where TElement : struct
    {
        var option = New<TElement[]>(declared);
        option.DefaultValueFactory = _ => (TElement[])declared.Default!;
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            var values = new List<TElement>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (Element<TElement>(declared, part) is not { } value)
                {
                    result.AddError($"{SharedOptions.Flag(declared.Name)} '{part}' is not " +
                                    $"{(typeof(TElement).IsEnum ? $"one of {declared.Range}" : typeof(TElement) == typeof(int) ? "a whole number" : "a number")}; " +
                                    $"use e.g. {Example(declared)}.");
                    return [];
                }
                if (declared.Problem(value) is { } problem)
                {
                    result.AddError($"{SharedOptions.Flag(declared.Name)} {problem}");
                    return [];
                }
                values.Add(value);
            }
            if (values.Count == 0 && text.Length > 0) result.AddError($"{SharedOptions.Flag(declared.Name)} '{text}' is an empty list; use e.g. {Example(declared)}.");
            return [.. values];
        };
        return option;
    }

    private static TElement? Element<TElement>(DeclaredOption declared, string part) where TElement : struct
    {
        if (typeof(TElement).IsEnum) return declared.Choices.Contains(part.ToLowerInvariant()) ? (TElement)Enum.Parse(typeof(TElement), part, ignoreCase: true) : null;
        if (!SharedOptions.TryConvert(part, typeof(TElement))) return null;
        return (TElement)Convert.ChangeType(part, typeof(TElement), CultureInfo.InvariantCulture);
    }

    private static string Example(DeclaredOption declared) =>
        declared.ElementType.IsEnum ? string.Join(',', declared.Choices.Take(2)) : declared.ElementType == typeof(int) ? "32,16" : "0.5,1.0";
}

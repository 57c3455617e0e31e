using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace TextGen.Settings;

/// <summary>The options an options record declares (<see cref="OptionAttribute"/>), in declaration order, and their checks.</summary>
public static class Declared<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>
    where T : new()
{
    public static IReadOnlyList<DeclaredOption> Options { get; } = Read();

    public static DeclaredOption Named(string name) => Options.Single(o => o.Name == name);

    /// <summary>Every declared property of <paramref name="value"/> in range; the first that is not is a <see cref="SettingException"/>.</summary>
    /// <param name="except">A setting that does not apply to this value (an embedding width with one-hot input).</param>
    public static void Validate(T value, string? except = null)
    {
        foreach (var option in Options.Where(o => o.Name != except)) option.Check(option.Property.GetValue(value));
    }

    private static DeclaredOption[] Read()
    {
        var defaults = new T();
        return [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Declaration: p.GetCustomAttribute<OptionAttribute>()))
            .Where(p => p.Declaration is not null)
            .OrderBy(p => p.Declaration!.Line)
            .Select(p => new DeclaredOption(p.Property, p.Declaration!, p.Property.GetValue(defaults)))];
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using TextGen.Modeling;

namespace TextGen.Persistence;

/// <summary>An enum written as its snake_case name ("lstm"), as model file headers hold them.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;

/// <summary>
/// The JSON of text model headers, generated at compile time so that reading a model is trimming- and AOT-safe:
/// snake_case names, enums by name, and NaN allowed (a run stopped before its first step has no training loss yet).
/// The training library has its own context, with these options, for checkpoints and forecast models.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    Converters = [typeof(SnakeCaseEnumConverter<CellType>)])]
[JsonSerializable(typeof(ModelMetadata))]
public sealed partial class HeaderJson : JsonSerializerContext;

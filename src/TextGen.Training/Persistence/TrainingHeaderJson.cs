using System.Text.Json.Serialization;
using TextGen.Forecasting;
using TextGen.Modeling;
using TextGen.Training;

namespace TextGen.Persistence;

/// <summary>The JSON of checkpoint and forecast model headers, with the options of the runtime's <see cref="HeaderJson"/>.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    Converters = [typeof(SnakeCaseEnumConverter<CellType>), typeof(SnakeCaseEnumConverter<DiffMode>)])]
[JsonSerializable(typeof(Checkpoint))]
[JsonSerializable(typeof(ForecastMetadata))]
public sealed partial class TrainingHeaderJson : JsonSerializerContext;

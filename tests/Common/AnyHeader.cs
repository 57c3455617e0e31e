using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TextGen.Tests.Persistence;

/// <summary>Reflection-based JSON for headers of any shape, for tests that write files no TextGen type describes.</summary>
public static class AnyHeader
{
    public static JsonTypeInfo<T> Json<T>(T _) => (JsonTypeInfo<T>)JsonSerializerOptions.Default.GetTypeInfo(typeof(T));
}

namespace TextGen.Forecasting;

/// <summary>One numeric column of a CSV file, by date, oldest first, with what loading had to skip.</summary>
public sealed record PriceSeries(
    string Column,
    string DateColumn,
    IReadOnlyList<DateTime> Dates,
    IReadOnlyList<double> Values,
    int SkippedBlankRows,
    int SkippedEmptyCells,
    int SkippedNonNumericCells)
{
    public int Count => Values.Count;

    public int Skipped => SkippedBlankRows + SkippedEmptyCells + SkippedNonNumericCells;
}

using TextGen.CommandLine;

CommandRunner.CatchUnhandled("textgen-serve");
return CommandRunner.Run("textgen-serve", ServeCommand.Root(), args, Console.Out, Console.Error);

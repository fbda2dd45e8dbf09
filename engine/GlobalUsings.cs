global using System;
global using System.Runtime.Intrinsics;

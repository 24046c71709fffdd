import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth-options";

type TContext = { params: Promise<{ nextauth: string[] }> };

// Options are built per call from the lazily created server context, so `next build` needs no database.
async function handler(request: Request, context: TContext): Promise<Response> {
  return NextAuth(request as never, context as never, authOptions());
}

export { handler as GET, handler as POST };

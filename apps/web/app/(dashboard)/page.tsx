import { Overview } from "@/modules/home/components/overview";

export default function HomePage() {
  return <Overview />;
}

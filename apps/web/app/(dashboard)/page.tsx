export default function HomePage() {
  return (
    <div className="page">
      <h1>Overview</h1>
    </div>
  );
}
